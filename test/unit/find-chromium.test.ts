import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DependencyStartError } from '../../src/infra/dependency-start-error';
import { findChromium, type ChromiumLookup } from '../support/browser';

const posixOnly = process.platform === 'win32' ? it.skip : it;

describe('findChromium', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'find-chromium-test-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A machine where only the listed names are on PATH (in /bin) and only the listed files are executable. */
  function machine(onPath: string[], executables: string[] = [], env: NodeJS.ProcessEnv = {}): ChromiumLookup {
    return {
      env: { PATH: '/bin', ...env },
      which: (name, searchPath) => (searchPath === '/bin' && onPath.includes(name) ? `/bin/${name}` : undefined),
      isExecutable: (file) => executables.includes(file) || onPath.some((name) => `/bin/${name}` === file),
      verify: () => undefined,
    };
  }

  async function script(file: string, body: string): Promise<string> {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `#!/bin/sh\n${body}\n`);
    await chmod(file, 0o755);
    return file;
  }

  it('when nothing can be found, then it gives a skip reason naming every place searched and how to install', () => {
    const result = findChromium(machine([]));
    expect(result).not.toHaveProperty('path');
    const { skipReason } = result as { skipReason: string };
    for (const place of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome', '/usr/bin/chromium', 'CHROMIUM_PATH']) {
      expect(skipReason).toContain(place);
    }
    expect(skipReason).toContain('apt-get install -y chromium');
  });

  it('when several names are on PATH, then they are taken in order: chromium-browser before google-chrome', () => {
    expect(findChromium(machine(['google-chrome', 'chromium-browser']))).toEqual({ path: '/bin/chromium-browser' });
    expect(findChromium(machine(['google-chrome', 'google-chrome-stable']))).toEqual({ path: '/bin/google-chrome-stable' });
  });

  it('when none is on PATH, then /usr/bin/chromium is used', () => {
    expect(findChromium(machine([], ['/usr/bin/chromium']))).toEqual({ path: '/usr/bin/chromium' });
  });

  it('when CHROMIUM_PATH is set, then it wins over PATH', () => {
    const lookup = machine(['chromium'], ['/opt/chrome/chrome'], { CHROMIUM_PATH: '/opt/chrome/chrome' });
    expect(findChromium(lookup)).toEqual({ path: '/opt/chrome/chrome' });
  });

  it('when CHROMIUM_PATH is not executable, then it is an error naming it, not a skip and not a fall-through', () => {
    const lookup = machine(['chromium'], [], { CHROMIUM_PATH: '/opt/missing/chrome' });
    expect(() => findChromium(lookup)).toThrow(DependencyStartError);
    expect(() => findChromium(lookup)).toThrow(/CHROMIUM_PATH=\/opt\/missing\/chrome/);
  });

  it('when a found file does not run (a snap stub), then it is passed over with its reason', () => {
    const lookup: ChromiumLookup = {
      ...machine(['chromium-browser', 'google-chrome']),
      verify: (file) => {
        if (file === '/bin/chromium-browser') throw new Error('requires the chromium snap');
      },
    };
    expect(findChromium(lookup)).toEqual({ path: '/bin/google-chrome' });
    const onlyStub = { ...lookup, which: (name: string) => (name === 'chromium-browser' ? '/bin/chromium-browser' : undefined) };
    expect(findChromium(onlyStub)).toMatchObject({ skipReason: expect.stringContaining('requires the chromium snap') });
  });

  posixOnly('with the real PATH search and --version check, then a working script on PATH is found and a failing one is not', async () => {
    const bin = path.join(root, 'bin');
    await script(path.join(bin, 'chromium-browser'), 'echo "Command \'/usr/bin/chromium-browser\' requires the chromium snap" >&2; exit 1');
    const chrome = await script(path.join(bin, 'google-chrome'), 'echo "Google Chrome 131.0.6778.85"');
    const lookup = { env: { PATH: bin }, fallbackPaths: [] };
    expect(findChromium(lookup)).toEqual({ path: chrome });
    await rm(chrome);
    expect(findChromium(lookup)).toMatchObject({ skipReason: expect.stringContaining('requires the chromium snap') });
  });

  posixOnly('with the real checks, then a CHROMIUM_PATH without its execute bit is an error', async () => {
    const file = path.join(root, 'chrome');
    await writeFile(file, '#!/bin/sh\necho Chromium 1.0\n');
    expect(() => findChromium({ env: { CHROMIUM_PATH: file, PATH: '' }, fallbackPaths: [] })).toThrow(
      /CHROMIUM_PATH=.*not a working Chromium/s,
    );
  });
});
