import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { DependencyStartError } from '../../src/infra/dependency-start-error';

/** A real Chromium for the browser tests: found like the Temporal CLI, launched headless, with axe-core and screenshots. */

const ROOT = path.resolve(__dirname, '../..');
export const SCREENSHOTS_DIR = path.join(ROOT, 'test-output', 'screenshots');

const ENV_VAR = 'CHROMIUM_PATH';
const NAMES_ON_PATH = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];
const FALLBACK_PATHS = ['/usr/bin/chromium'];
const HOW_TO_INSTALL = `install Debian's Chromium (\`apt-get install -y chromium\`), or set ${ENV_VAR} to a Chromium or Chrome binary`;

export type ChromiumLookupResult = { path: string } | { skipReason: string };

/** What findChromium looks at; tests replace the parts that read the machine. */
export interface ChromiumLookup {
  /** Where CHROMIUM_PATH and PATH are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Finds an executable by name on a PATH string, like `which` (default: a search of the PATH's folders). */
  which?: (name: string, searchPath: string) => string | undefined;
  /** Whether a file is an executable regular file (default: stat and X_OK). */
  isExecutable?: (file: string) => boolean;
  /** Throws when the file is not a working Chromium (default: `<file> --version` names Chromium or Chrome). */
  verify?: (file: string) => void;
  /** Absolute paths tried after PATH (default /usr/bin/chromium). */
  fallbackPaths?: string[];
}

/**
 * The Chromium the browser tests use: CHROMIUM_PATH (which must work), then chromium, chromium-browser,
 * google-chrome-stable and google-chrome on PATH, then /usr/bin/chromium. A found file that does not run
 * (Ubuntu's snap stub, a broken install) is passed over with its reason, as the Temporal CLI's lookup does.
 * @throws DependencyStartError when CHROMIUM_PATH is set and is not a working Chromium.
 */
export function findChromium(lookup: ChromiumLookup = {}): ChromiumLookupResult {
  const env = lookup.env ?? process.env;
  const which = lookup.which ?? whichOnPath;
  const isExecutable = lookup.isExecutable ?? isExecutableFile;
  const verify = lookup.verify ?? verifyChromium;

  const explicitPath = env[ENV_VAR];
  if (explicitPath) {
    const explicit = path.resolve(explicitPath);
    try {
      if (!isExecutable(explicit)) throw new Error('it does not exist or is not an executable file');
      verify(explicit);
      return { path: explicit };
    } catch (error) {
      throw new DependencyStartError({
        dependency: 'Chromium',
        step: `use ${ENV_VAR}=${explicitPath}`,
        path: explicit,
        cause: `not a working Chromium: ${error instanceof Error ? error.message : String(error)}`,
        remedy: `point ${ENV_VAR} at a working Chromium or Chrome, or unset it to use the one on PATH.`,
      });
    }
  }

  const searchPath = env.PATH ?? '';
  const failures: string[] = [];
  const candidates: string[] = [];
  for (const name of NAMES_ON_PATH) {
    const found = which(name, searchPath);
    if (found) candidates.push(found);
    else failures.push(`PATH: no ${name}`);
  }
  for (const file of lookup.fallbackPaths ?? FALLBACK_PATHS) {
    if (isExecutable(file)) candidates.push(file);
    else failures.push(`${file}: not an executable file`);
  }
  for (const candidate of candidates) {
    try {
      verify(candidate);
      return { path: candidate };
    } catch (error) {
      failures.push(`${candidate}: does not work: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return {
    skipReason:
      `no Chromium found (${ENV_VAR} unset; searched PATH for ${NAMES_ON_PATH.join(', ')}, then ${(lookup.fallbackPaths ?? FALLBACK_PATHS).join(', ')}):\n` +
      failures.map((failure) => `  - ${failure}`).join('\n') +
      `\nTo run the browser tests, ${HOW_TO_INSTALL}.`,
  };
}

let lookedUp: ChromiumLookupResult | undefined;
let warned = false;

/** findChromium for this process, looked up once; prints the skip reason once when there is none. */
export function chromiumForTests(): ChromiumLookupResult {
  lookedUp ??= findChromium();
  if ('skipReason' in lookedUp && !warned) {
    warned = true;
    console.warn(`[browser tests skipped] ${lookedUp.skipReason}`);
  }
  return lookedUp;
}

/** A describe block that runs with a Chromium, or is skipped with the printed reason where none can be had. */
export function describeWithBrowser(name: string, fn: () => void): void {
  describe.skipIf('skipReason' in chromiumForTests())(name, fn);
}

/** Launches the found Chromium headless. The sandbox stays on except as root, where Chromium refuses to start with it. */
export async function launchBrowser(): Promise<Browser> {
  const found = chromiumForTests();
  if ('skipReason' in found) throw new Error(found.skipReason);
  const runningAsRoot = process.getuid?.() === 0;
  return chromium.launch({
    executablePath: found.path,
    headless: true,
    // Playwright adds --no-sandbox itself unless told the sandbox is wanted.
    chromiumSandbox: !runningAsRoot,
    // Containers give /dev/shm 64 MB, which a renderer outgrows and then crashes.
    args: ['--disable-dev-shm-usage', ...(runningAsRoot ? ['--no-sandbox'] : [])],
  });
}

/** The usual set-up inside describeWithBrowser: one browser for the file's tests, closed after them. */
export function useBrowser(assign: (browser: Browser) => void): void {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
    assign(browser);
  });
  afterAll(async () => browser?.close());
}

export interface AccessibilityViolation {
  /** axe's rule id: `image-alt`, `label`, `color-contrast`, ... */
  id: string;
  impact: 'serious' | 'critical';
  help: string;
  /** The CSS selector of the first offending element. */
  target: string;
}

const WCAG_2_A_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * Runs axe-core's WCAG 2 A/AA rules on the page and returns the serious and critical violations.
 * axe goes in through the DevTools protocol, which the page's Content-Security-Policy does not govern, so
 * pages served with `default-src 'none'` (as ours are) are checked as they are served.
 */
export async function checkAccessibility(page: Page, options: { exclude?: string[] } = {}): Promise<AccessibilityViolation[]> {
  const session = await page.context().newCDPSession(page);
  try {
    const injected = await session.send('Runtime.evaluate', { expression: `${axe.source}\n;typeof window.axe` });
    if (injected.exceptionDetails || injected.result.value !== 'object') {
      throw new Error(
        `axe-core could not be injected: ${injected.exceptionDetails?.exception?.description ?? String(injected.result.value)}`,
      );
    }
  } finally {
    await session.detach();
  }
  const exclude = options.exclude ?? [];
  return page.evaluate(
    async ({ tags, exclude }) => {
      const { axe: injected } = globalThis as unknown as { axe: typeof axe };
      // With only `exclude` given, axe checks the whole document minus those elements.
      const context = { exclude: exclude.map((selector) => [selector]) };
      const results = await injected.run(context, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
      return results.violations
        .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
        .map((violation) => ({
          id: violation.id,
          impact: violation.impact as 'serious' | 'critical',
          help: violation.help,
          target: violation.nodes[0]?.target.map(String).join(' ') ?? '',
        }));
    },
    { tags: WCAG_2_A_AA, exclude },
  );
}

/** Writes a full-page PNG to test-output/screenshots/<name>.png and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`screenshot name ${JSON.stringify(name)} must be kebab-case`);
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, type: 'png' });
  return file;
}

function whichOnPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function verifyChromium(file: string): void {
  let output: string;
  try {
    output = execFileSync(file, ['--version'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`\`${path.basename(file)} --version\` failed${stderr ? `: ${stderr.split('\n').slice(-2).join(' | ')}` : ''}`);
  }
  if (!/chrom/i.test(output)) throw new Error(`unexpected --version output: ${output.trim().slice(0, 200)}`);
}
