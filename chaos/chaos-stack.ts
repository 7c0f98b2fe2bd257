import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { migrate } from '../src/db/orm';
import { spawnManaged, type ManagedChild } from '../src/infra/child-processes';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/infra/embedded-postgres';
import { ensureTemporalCli } from '../src/infra/temporal-cli';
import { findFreePort, startTemporalDevServer, type RunningDevServer } from '../src/infra/temporal-dev-server';
import { randomBase62 } from '../src/shared/ids';
import { WORKFLOW_INTERCEPTOR_MODULES, WORKFLOWS_PATH } from '../src/temporal/create-worker';
import { FAILURE_CONVERTER_PATH } from '../src/temporal/data-converter';
import { formatPayloadKeys, type PayloadKey } from '../src/temporal/payload-keys';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../src/temporal/search-attributes';

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const DATABASE = 'ledgerflow_chaos';

export interface ChaosStackOptions {
  dataDir: string;
  workers: number;
  /** Extra environment for every API and worker process (fault settings, time scales). */
  env: Record<string, string>;
  log: (message: string) => void;
}

type Role = 'api' | `worker-${number}`;

interface RunningRole {
  child: ManagedChild;
  /** Set when the runner itself stopped or killed the process: its exit is not a crash. */
  expectedExit: boolean;
}

/**
 * The processor as production runs it, one process per role, so the runner can kill any of them:
 * an embedded PostgreSQL (or DATABASE_URL, whose connections it can only terminate), a file-backed
 * Temporal dev server, worker processes and an API process. A process that dies on its own is
 * restarted at once, as a supervisor would, and counted.
 */
export class ChaosStack {
  readonly adminKey = `chaos_admin_${randomBase62(20)}`;
  readonly payloadKeys: PayloadKey[] = [{ id: 'chaos', key: randomBytes(32) }];
  /** One vault key ring for every role: webhook secrets and gateway credentials sealed by the API are opened by the workers. */
  readonly vaultKeys = { keys: `chaos-vault:${randomBytes(32).toString('base64')}`, fingerprint: randomBytes(32).toString('base64') };
  databaseUrl = '';
  temporalAddress = '';
  apiUrl = '';
  taskQueue = `chaos-${randomBase62(6)}`;
  unexpectedExits: { role: string; code: number | null; signal: string | null; output: string }[] = [];
  private postgres?: RunningPostgres;
  private postgresPort = 0;
  private temporal?: RunningDevServer;
  private temporalPort = 0;
  private cliPath = '';
  private bundlePath = '';
  private apiPort = 0;
  private readonly roles = new Map<Role, RunningRole>();
  private stopping = false;

  constructor(private readonly options: ChaosStackOptions) {}

  get externalDatabase(): boolean {
    return this.postgres === undefined;
  }

  async start(): Promise<void> {
    const { dataDir, log } = this.options;
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
    this.cliPath = await ensureTemporalCli({ toolsDir: path.join(ROOT, '.tools'), explicitPath: process.env.TEMPORAL_CLI_PATH, log });
    [this.postgresPort, this.temporalPort, this.apiPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
    if (process.env.DATABASE_URL) {
      this.databaseUrl = process.env.DATABASE_URL;
    } else {
      await this.startPostgres();
      this.databaseUrl = (this.postgres as RunningPostgres).url(DATABASE);
      await this.trackCommitTimestamps();
    }
    await migrate(this.databaseUrl);
    await this.startTemporal();
    log('Bundling the workflows once for every worker...');
    const bundle = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
      failureConverterPath: FAILURE_CONVERTER_PATH,
      logger: new DefaultLogger('WARN'),
    });
    this.bundlePath = path.join(dataDir, 'workflow-bundle.js');
    fs.writeFileSync(this.bundlePath, bundle.code);
    this.apiUrl = `http://127.0.0.1:${this.apiPort}`;
    await Promise.all([this.startApi(), ...Array.from({ length: this.options.workers }, (_, i) => this.startWorker(i))]);
  }

  get workflowBundlePath(): string {
    return this.bundlePath;
  }

  workerSlots(): number[] {
    return Array.from({ length: this.options.workers }, (_, i) => i);
  }

  isRunning(role: Role): boolean {
    return this.roles.get(role)?.child.isRunning() ?? false;
  }

  /** The worker slot whose process group holds `pid`, if any (a fault row names the process that injected it). */
  workerSlotOfPid(pid: number): number | undefined {
    let group: number;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so split after its closing parenthesis.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    } catch {
      return undefined;
    }
    for (const slot of this.workerSlots()) if (this.roles.get(`worker-${slot}`)?.child.pid === group) return slot;
    return undefined;
  }

  /** kill -9 of the worker's whole process group: no shutdown, no flush, like a lost machine. */
  async killWorker(slot: number): Promise<void> {
    await this.kill(`worker-${slot}`);
  }

  /** Starts the worker in its slot; `env` overrides the stack's settings for this process only (a forced gateway fault). */
  async startWorker(slot: number, env: Record<string, string> = {}): Promise<void> {
    await this.spawnRole(`worker-${slot}`, 'src/main-worker.ts', env);
  }

  async killApi(): Promise<void> {
    await this.kill('api');
  }

  /** SIGTERM, as a deploy does: the API finishes the requests in flight and exits. */
  async stopApi(): Promise<void> {
    const running = this.roles.get('api');
    if (!running?.child.isRunning()) return;
    running.expectedExit = true;
    await running.child.stop();
  }

  async startApi(): Promise<void> {
    await this.spawnRole('api', 'src/main-api.ts', { PORT: String(this.apiPort) });
    await this.waitForApi();
  }

  /** Restarts the Temporal dev server on the same SQLite file; `crash` kills it with SIGKILL instead of stopping it. */
  async restartTemporal(crash: boolean): Promise<void> {
    const server = this.temporal as RunningDevServer;
    if (crash && server.pid) process.kill(-server.pid, 'SIGKILL');
    await server.stop();
    await this.startTemporal();
  }

  /** Stops PostgreSQL (fast shutdown: transactions in flight are rolled back) and starts it again on the same data. */
  async restartPostgres(): Promise<void> {
    if (!this.postgres) throw new Error('only an embedded PostgreSQL can be restarted');
    await this.postgres.stop();
    await this.startPostgres();
  }

  /** Terminates every other connection to the database: whatever transaction each was in is rolled back. */
  async terminateConnections(): Promise<number> {
    const client = new PgClient({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      const result = await client.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`,
      );
      return result.rowCount ?? 0;
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.roles.values()].map(async (role) => {
        role.expectedExit = true;
        await role.child.stop();
      }),
    );
    await this.temporal?.stop();
    await this.postgres?.stop();
  }

  private async kill(role: Role): Promise<void> {
    const running = this.roles.get(role);
    if (!running?.child.pid || !running.child.isRunning()) return;
    running.expectedExit = true;
    process.kill(-running.child.pid, 'SIGKILL');
    await running.child.exited;
  }

  /**
   * Commit timestamps give the order transactions committed in, which the payout invariants replay
   * balances in (a transaction's start time is not that order). The setting needs a restart; it is
   * kept in the data folder, so the fault injector's restarts keep it.
   */
  private async trackCommitTimestamps(): Promise<void> {
    const client = new PgClient({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      await client.query(`alter system set track_commit_timestamp = on`);
    } finally {
      await client.end();
    }
    await this.restartPostgres();
  }

  private async startPostgres(): Promise<void> {
    this.postgres = await startEmbeddedPostgres({
      dataDir: path.join(this.options.dataDir, 'postgres'),
      port: this.postgresPort,
      databases: [DATABASE],
    });
  }

  private async startTemporal(): Promise<void> {
    this.temporal = await startTemporalDevServer({
      cliPath: this.cliPath,
      port: this.temporalPort,
      headless: true,
      dbFilename: path.join(this.options.dataDir, 'temporal', 'temporal.db'),
      sqlitePragmas: ['journal_mode=WAL', 'synchronous=NORMAL'],
      searchAttributes: CUSTOM_SEARCH_ATTRIBUTES,
      logFile: path.join(this.options.dataDir, 'logs', 'temporal.log'),
    });
    this.temporalAddress = this.temporal.address;
  }

  private async spawnRole(role: Role, script: string, env: Record<string, string>): Promise<void> {
    const previous = this.roles.get(role);
    if (previous?.child.isRunning()) throw new Error(`${role} is already running`);
    const child = spawnManaged(TSX, [script], {
      cwd: ROOT,
      logFile: path.join(this.options.dataDir, 'logs', `${role}.log`),
      stopSignal: 'SIGTERM',
      exitSignal: 'SIGKILL',
      stopTimeoutMs: 10_000,
      env: {
        ...process.env,
        DATABASE_URL: this.databaseUrl,
        TEMPORAL_ADDRESS: this.temporalAddress,
        TEMPORAL_TASK_QUEUE: this.taskQueue,
        TEMPORAL_PAYLOAD_KEYS: formatPayloadKeys(this.payloadKeys),
        CARD_VAULT_KEYS: this.vaultKeys.keys,
        CARD_FINGERPRINT_KEY: this.vaultKeys.fingerprint,
        WORKFLOW_BUNDLE_PATH: this.bundlePath,
        ADMIN_API_KEY: this.adminKey,
        DATA_DIR: this.options.dataDir,
        LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'warn',
        NODE_ENV: 'development',
        ...this.options.env,
        ...env,
      },
    });
    const running: RunningRole = { child, expectedExit: false };
    this.roles.set(role, running);
    void child.exited.then(async (exit) => {
      if (running.expectedExit || this.stopping) return;
      // Died on its own (a dependency went away at a bad moment, or a bug): a supervisor restarts it, and the report says so.
      this.unexpectedExits.push({ role, code: exit.code, signal: exit.signal, output: child.recentOutput(20) });
      this.options.log(`${role} exited on its own (code ${exit.code}, signal ${exit.signal}); restarting it`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      if (!this.stopping && this.roles.get(role) === running) await this.spawnRole(role, script, env).catch(() => undefined);
    });
  }

  private async waitForApi(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`${this.apiUrl}/health`, { signal: AbortSignal.timeout(2_000) })).status === 200) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the API at ${this.apiUrl} did not become healthy`);
  }
}
