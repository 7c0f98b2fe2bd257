import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Options for {@link spawnManaged}. */
export interface ManagedSpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  /** Append the child's stdout/stderr to this file; without it the output is kept in a small in-memory buffer. */
  logFile?: string;
  /** First signal stop() sends to the child's process group (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
  /** Signal sent synchronously if the parent exits while the child is still alive (default SIGKILL). */
  exitSignal?: NodeJS.Signals;
  /** How long stop() waits after stopSignal before escalating to SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
  /** Called with each complete output line (only when there is no logFile). */
  onLine?: (line: string) => void;
}

/** How a managed child ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/** A child process whose lifetime is bound to the parent's. */
export interface ManagedChild {
  child: ChildProcess;
  pid: number | undefined;
  exited: Promise<ExitInfo>;
  isRunning(): boolean;
  /** The last lines the child wrote to stdout/stderr (since it was spawned). */
  recentOutput(maxLines?: number): string;
  /** Signals the process group, waits for the exit and escalates to SIGKILL after the timeout. */
  stop(): Promise<void>;
}

const KEPT_LINES = 200;
const TAIL_BYTES = 64 * 1024;
const isWindows = process.platform === 'win32';
const live = new Set<ManagedChild & { exitSignal: NodeJS.Signals }>();
let hooksInstalled = false;

/** Spawns a long-running child in its own process group and kills that group if the parent exits first. */
export function spawnManaged(command: string, args: readonly string[], options: ManagedSpawnOptions = {}): ManagedChild {
  installHooks();
  const output = options.logFile ? fileOutput(options.logFile) : memoryOutput(options.onLine);
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      // Own process group: a terminal Ctrl+C must not kill it before the app's graceful shutdown, and stop() can reach grandchildren.
      detached: !isWindows,
      windowsHide: true,
      stdio: ['ignore', output.stdio, output.stdio],
    });
  } finally {
    output.release();
  }
  output.attach(child);

  let running = child.pid !== undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      if (!child.stdout && !child.stderr) return resolve({ code, signal });
      // Give the pipes a moment to deliver the last lines (the ones explaining a crash); a grandchild may hold them open.
      const timer = setTimeout(() => resolve({ code, signal }), 500);
      child.once('close', () => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    });
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  }).then((info) => {
    running = false;
    live.delete(managed);
    return info;
  });

  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const managed = {
    child,
    pid: child.pid,
    exited,
    exitSignal: options.exitSignal ?? 'SIGKILL',
    isRunning: () => running,
    recentOutput: (maxLines = 30) => output.tail(maxLines),
    async stop(): Promise<void> {
      if (!running) return;
      signalGroup(child, options.stopSignal ?? 'SIGTERM');
      const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, stopTimeoutMs, 'timeout').unref());
      if ((await Promise.race([exited, timer])) === 'timeout') signalGroup(child, 'SIGKILL');
      await exited;
      // Sweep anything the leader left behind in its group.
      signalGroup(child, 'SIGKILL');
    },
  };
  if (running) live.add(managed);
  return managed;
}

/** How a one-shot program ended, with its last output lines. */
export interface FinishedRun extends ExitInfo {
  output: string;
  timedOut: boolean;
}

/**
 * Runs a program to its end (initdb, a version check) and never rejects: a spawn failure such as
 * EACCES comes back as `error`, so no caller can leave an 'error' event unhandled.
 */
export async function runToExit(
  command: string,
  args: readonly string[],
  options: Pick<ManagedSpawnOptions, 'cwd' | 'env' | 'uid' | 'gid'> & { timeoutMs?: number } = {},
): Promise<FinishedRun> {
  const child = spawnManaged(command, args, { ...options, stopSignal: 'SIGTERM', stopTimeoutMs: 5_000 });
  let timedOut = false;
  const timer = options.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        void child.stop();
      }, options.timeoutMs)
    : undefined;
  const info = await child.exited;
  if (timer) clearTimeout(timer);
  return { ...info, timedOut, output: child.recentOutput(40) };
}

/** Stops every child started with {@link spawnManaged} that is still running. */
export async function stopAllManagedChildren(): Promise<void> {
  await Promise.all([...live].map((child) => child.stop()));
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (isWindows) {
      if (signal === 'SIGKILL') spawnSync('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore' });
      else child.kill(signal);
    } else {
      process.kill(-child.pid, signal);
    }
  } catch {
    // ESRCH: the group is already gone.
  }
}

function killAllNow(): void {
  for (const child of live) signalGroup(child.child, child.exitSignal);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' also fires after process.exit() and after an uncaught exception.
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      // Someone else (the app's entry point) owns this signal; its shutdown path ends in 'exit' or stopAllManagedChildren().
      if (process.listenerCount(signal) > 1) return;
      killAllNow();
      // Nobody handles the signal: restore the default action so the process still dies by it.
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

interface OutputSink {
  stdio: 'pipe' | number;
  /** Called once spawn() has returned or thrown. */
  release(): void;
  attach(child: ChildProcess): void;
  tail(maxLines: number): string;
}

function memoryOutput(onLine?: (line: string) => void): OutputSink {
  const lines: string[] = [];
  let partial = '';
  const push = (chunk: Buffer): void => {
    const parts = (partial + chunk.toString('utf8')).split(/\r?\n/);
    partial = parts.pop() ?? '';
    lines.push(...parts);
    if (onLine) parts.forEach(onLine);
    if (lines.length > KEPT_LINES) lines.splice(0, lines.length - KEPT_LINES);
  };
  return {
    stdio: 'pipe',
    release: () => undefined,
    attach(child) {
      child.stdout?.on('data', push);
      child.stderr?.on('data', push);
    },
    tail: (maxLines) => [...lines, partial].filter(Boolean).slice(-maxLines).join('\n'),
  };
}

function fileOutput(path: string): OutputSink {
  const fd = openSync(path, 'a');
  const startOffset = fstatSync(fd).size;
  return {
    stdio: fd,
    // The child holds its own copy of the descriptor.
    release: () => closeSync(fd),
    attach: () => undefined,
    tail(maxLines) {
      const readFd = openSync(path, 'r');
      try {
        const end = fstatSync(readFd).size;
        const start = Math.max(startOffset, end - TAIL_BYTES);
        const buffer = Buffer.alloc(Math.max(0, end - start));
        readSync(readFd, buffer, 0, buffer.length, start);
        return buffer.toString('utf8').split(/\r?\n/).filter(Boolean).slice(-maxLines).join('\n');
      } finally {
        closeSync(readFd);
      }
    },
  };
}
