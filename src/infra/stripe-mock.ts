import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { downloadFile, installBinary, inTempDir, reason, seconds } from './tool-files';
import { runToExit, spawnManaged } from './child-processes';
import { DependencyStartError, describeSystemError, indentLines } from './dependency-start-error';
import { withLock } from './temporal-cli';
import { findFreePort, isListening } from './temporal-dev-server';

/** Where to look for (and how to provision) stripe-mock, Stripe's own mock of its API. */
export interface StripeMockProvisionOptions {
  /** Project tools folder, e.g. `<repo>/.tools`. */
  toolsDir: string;
  /** A path the user asked for explicitly (STRIPE_MOCK_PATH); it must work. */
  explicitPath?: string;
  log?: (message: string) => void;
  /** PATH to search instead of process.env.PATH. */
  searchPath?: string;
  /** Set to false to skip the release download (default true). */
  allowDownload?: boolean;
  /** Set to false to skip `go install` (default true). */
  allowGoInstall?: boolean;
  /** Time allowed to reach the release site and between received chunks (default 15 s). */
  downloadTimeoutMs?: number;
  /** Time allowed for one `go install` (default 10 min: the first build fetches its modules). */
  goInstallTimeoutMs?: number;
}

export interface RunningStripeMock {
  /** `http://127.0.0.1:<port>`: the value for STRIPE_API_BASE. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const NAME = process.platform === 'win32' ? 'stripe-mock.exe' : 'stripe-mock';
const ENV_VAR = 'STRIPE_MOCK_PATH';
const MODULE = 'github.com/stripe/stripe-mock';
const RELEASES = 'https://github.com/stripe/stripe-mock/releases';

/** Returns the path of a working stripe-mock, in temporal-cli's order: explicit path, PATH, .tools, GOPATH, release download, go install. */
export async function ensureStripeMock(options: StripeMockProvisionOptions): Promise<string> {
  const log = options.log ?? (() => undefined);
  if (options.explicitPath) {
    const explicit = path.resolve(options.explicitPath);
    try {
      await verify(explicit);
      return explicit;
    } catch (error) {
      throw new DependencyStartError({
        dependency: 'stripe-mock',
        step: `use ${ENV_VAR}=${options.explicitPath}`,
        path: explicit,
        cause: `not a working stripe-mock: ${reason(error)}`,
        remedy: `point ${ENV_VAR} at a working stripe-mock, or unset it to have one installed into .tools/.`,
      });
    }
  }

  const failures: string[] = [];
  const onPath = await findOnPath(options.searchPath ?? process.env.PATH ?? '');
  if (!onPath) failures.push(`PATH: no ${NAME} found`);
  const toolsDir = path.resolve(options.toolsDir);
  const local = path.join(toolsDir, 'bin', NAME);
  const goBin = await goBinDir();
  const candidates = [...(onPath ? [onPath] : []), local, ...(goBin ? [path.join(goBin, NAME)] : [])];
  const found = await firstWorking(candidates, failures);
  if (found) return found;

  await fs.mkdir(toolsDir, { recursive: true });
  return withLock(toolsDir, log, async () => {
    // Another process may have provisioned it while we waited for the lock.
    const provisioned = await firstWorking([local], []);
    if (provisioned) return provisioned;

    if (options.allowDownload !== false) {
      const started = Date.now();
      try {
        const file = await download(toolsDir, options.downloadTimeoutMs ?? 15_000);
        await verify(file);
        log(`stripe-mock: downloaded to ${file} in ${seconds(started)}`);
        return file;
      } catch (error) {
        failures.push(`download from ${RELEASES}: ${reason(error)}`);
        log(
          `stripe-mock: download failed after ${seconds(started)} (${reason(error)})${options.allowGoInstall === false ? '' : '; trying go install'}`,
        );
      }
    }
    if (options.allowGoInstall !== false) {
      const started = Date.now();
      try {
        const file = await goInstall(toolsDir, options.goInstallTimeoutMs ?? 10 * 60_000);
        await verify(file);
        log(`stripe-mock: built with go install into ${file} in ${seconds(started)}`);
        return file;
      } catch (error) {
        failures.push(`go install ${MODULE}@latest: ${reason(error)}`);
      }
    }
    throw new DependencyStartError({
      dependency: 'stripe-mock',
      step: 'provision',
      path: local,
      cause: `no working stripe-mock was found or could be installed:\n${indentLines(failures.join('\n'))}`,
      remedy:
        `install Go (so \`go install ${MODULE}@latest\` can build it), put a release binary from ${RELEASES} at ${local}, ` +
        `or set ${ENV_VAR} to a stripe-mock binary.`,
    });
  });
}

/** Starts stripe-mock over plain HTTP on a free port of 127.0.0.1 and waits until it listens. */
export async function startStripeMock(options: {
  path: string;
  log?: (message: string) => void;
  timeoutMs?: number;
}): Promise<RunningStripeMock> {
  const port = await findFreePort();
  // Loopback only. -http-addr alone still opens the default HTTPS port (12112), which two runs would fight over: give it any free one.
  const args = ['-http-addr', `127.0.0.1:${port}`, '-https-addr', '127.0.0.1:0'];
  const child = spawnManaged(options.path, args, { stopSignal: 'SIGTERM', stopTimeoutMs: 5_000 });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const fail = async (cause: string): Promise<never> => {
    await child.stop();
    throw new DependencyStartError({
      dependency: 'stripe-mock',
      step: 'server start',
      path: options.path,
      cause,
      remedy: `fix what its output says, or set ${ENV_VAR} to another stripe-mock binary.`,
    });
  };
  while (!(await isListening('127.0.0.1', port))) {
    if (!child.isRunning()) {
      const { code, signal, error } = await child.exited;
      if (error) return fail(describeSystemError(error));
      return fail(`it exited at start (${String(code ?? signal)}); its last output:\n${indentLines(child.recentOutput(20))}`);
    }
    if (Date.now() > deadline) return fail(`it did not listen on port ${port}; its last output:\n${indentLines(child.recentOutput(20))}`);
    await sleep(100);
  }
  options.log?.(`stripe-mock: listening on 127.0.0.1:${port}`);
  return { url: `http://127.0.0.1:${port}`, port, stop: () => child.stop() };
}

async function verify(file: string): Promise<void> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat) throw new Error('file does not exist');
  if (!stat.isFile()) throw new Error('not a regular file');
  if (process.platform !== 'win32') await fs.access(file, constants.X_OK).catch(() => Promise.reject(new Error('file is not executable')));
  const run = await runToExit(file, ['-version'], { timeoutMs: 30_000 });
  if (run.error) throw new Error(describeSystemError(run.error));
  if (run.code !== 0 || !/stripe-mock/.test(run.output))
    throw new Error(`-version did not answer as stripe-mock (exit ${String(run.code ?? run.signal)}): ${run.output.slice(0, 200)}`);
}

async function firstWorking(candidates: string[], failures: string[]): Promise<string | undefined> {
  for (const candidate of candidates) {
    try {
      await verify(candidate);
      return candidate;
    } catch (error) {
      failures.push(`${candidate}: ${reason(error)}`);
    }
  }
  return undefined;
}

async function findOnPath(searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, NAME);
    if (
      await fs.access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

/** Where `go install` puts binaries by default (GOBIN, else GOPATH/bin); undefined without a Go toolchain. */
async function goBinDir(): Promise<string | undefined> {
  const run = await runToExit('go', ['env', '-json', 'GOBIN', 'GOPATH'], { timeoutMs: 30_000 });
  if (run.error || run.code !== 0) return undefined;
  try {
    const { GOBIN: gobin, GOPATH: gopath } = JSON.parse(run.output) as { GOBIN?: string; GOPATH?: string };
    if (gobin) return gobin;
    const first = gopath?.split(path.delimiter)[0];
    return first ? path.join(first, 'bin') : undefined;
  } catch {
    return undefined;
  }
}

async function goInstall(toolsDir: string, timeoutMs: number): Promise<string> {
  return inTempDir(toolsDir, 'go-install', async (tmp) => {
    // GOTOOLCHAIN=auto lets an older local Go fetch the toolchain the module asks for.
    const env = { ...process.env, GOBIN: tmp, GOTOOLCHAIN: 'auto' };
    const run = await runToExit('go', ['install', `${MODULE}@latest`], { env, timeoutMs });
    if (run.error) throw new Error(`go: ${describeSystemError(run.error)}`);
    if (run.timedOut) throw new Error(`timed out after ${timeoutMs} ms`);
    if (run.code !== 0) throw new Error(`exit ${String(run.code ?? run.signal)}: ${run.output.split('\n').slice(-5).join(' | ')}`);
    return installBinary(path.join(tmp, NAME), path.join(toolsDir, 'bin', NAME));
  });
}

async function download(toolsDir: string, timeoutMs: number): Promise<string> {
  const os = process.platform;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  if (!['linux', 'darwin'].includes(os) || !['amd64', 'arm64'].includes(arch)) throw new Error(`no release archive for ${os}/${arch}`);
  // The latest release's tag, from the redirect GitHub answers /releases/latest with (no API rate limit).
  const latest = await fetch(`${RELEASES}/latest`, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  const tag = /\/releases\/tag\/(v?[0-9][^/?#]*)/.exec(latest.headers.get('location') ?? '')?.[1];
  if (!tag) throw new Error(`could not tell the latest release (HTTP ${latest.status})`);
  const url = `${RELEASES}/download/${tag}/stripe-mock_${tag.replace(/^v/, '')}_${os}_${arch}.tar.gz`;
  return inTempDir(toolsDir, 'stripe-mock-download', async (tmp) => {
    const archive = path.join(tmp, 'stripe-mock.tar.gz');
    await downloadFile(url, archive, timeoutMs);
    const run = await runToExit('tar', ['-xzf', archive, '-C', tmp], { timeoutMs: 120_000 });
    if (run.error || run.code !== 0)
      throw new Error(`tar failed: ${run.error ? describeSystemError(run.error) : run.output.slice(0, 200)}`);
    return installBinary(path.join(tmp, NAME), path.join(toolsDir, 'bin', NAME));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
