import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { Client } from 'pg';
import { startApi } from '../src/api-bootstrap';
import { loadConfig, type AppConfig } from '../src/config';
import { initOrm, migrate, type Orm } from '../src/db/orm';
import { stopAllManagedChildren } from '../src/infra/child-processes';
import { startEmbeddedPostgres } from '../src/infra/embedded-postgres';
import { ensureTemporalCli } from '../src/infra/temporal-cli';
import { findFreePort, startTemporalDevServer } from '../src/infra/temporal-dev-server';
import { startupFailureText } from '../src/infra/dependency-start-error';
import { createLogger } from '../src/logger';
import { randomBase62 } from '../src/shared/ids';
import { connectTemporalWorker } from '../src/temporal/connection';
import { createPaymentWorker, workflowInterceptorModules, WORKFLOWS_PATH } from '../src/temporal/create-worker';
import { FAILURE_CONVERTER_PATH, temporalDataConverter } from '../src/temporal/data-converter';
import { formatPayloadKeys, type PayloadKey } from '../src/temporal/payload-keys';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../src/temporal/search-attributes';
import { installTemporalRuntime, workerOptions } from '../src/worker-bootstrap';
import { percentiles, round, type Percentiles } from './load';
import { measureReportRunBuilds, measureReportRunCreation, type ReportRunGrowth, type ReportRunSide } from './report-run-growth';
import { FULL_SEED, seedDataGrowth, type SeedResult, type SeedSize } from './seed-data-growth';

const ROOT = path.resolve(__dirname, '..');
const DATA_DIR = path.join(ROOT, '.data', 'data-growth');
const RESULT_FILE = path.join(ROOT, 'bench', 'results', 'data-growth-latest.json');
const REQUESTS = Number(process.env.DATA_GROWTH_REQUESTS ?? 200);
const WARM_UP = 20;
// A read that takes seconds stops after this long (at least 20 requests): its ratio is far past 1.5x either way.
const BUDGET_MS = Number(process.env.DATA_GROWTH_BUDGET_SECONDS ?? 60) * 1000;
const MIN_REQUESTS = 20;
// The bar: p99 on the seeded database within 1.5 times the empty database's.
const ALLOWED_RATIO = 1.5;
// "Empty": the measured merchant, 19 others and a handful of payments with their ledger: enough that every page the
// reads ask for is full (60 of the measured merchant's), so both databases answer with as many rows.
const EMPTY_SEED: SeedSize = { payments: 300, idempotencyKeys: 30, days: 365 };
const PAGE = 25;
const DEEP_PAGE_POSITION = 100_000;
const REPORT_DAYS = 30;
const say = (message: string) => process.stdout.write(`${message}\n`);

interface Phase {
  name: 'empty' | 'seeded';
  database: string;
  size: SeedSize;
}

/** What a database needs to be measured again: the measured merchant's key (shown once) and how it was seeded. */
interface PhaseState {
  merchantId: string;
  apiKey: string;
  /** A merchant with the empty database's handful of payments: on the seeded database, the same report among a million rows. */
  quiet: { merchantId: string; apiKey: string };
  size: SeedSize;
  seed: SeedResult;
}

interface ReadResult extends Percentiles {
  requests: number;
  responseBytes: number;
}

interface Read {
  name: string;
  path: string;
  admin?: boolean;
  quiet?: boolean;
}

/** The reads the issue names, for the measured merchant; ids come from its own rows. */
async function readsOf(url: string, merchantId: string, now: Date): Promise<Read[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const [deep] = (
      await client.query<{ id: string }>(
        `select id from payments where merchant_id = $1 order by created_at desc, id desc
          offset least($2::bigint, (select count(*) - $3 - 1 from payments where merchant_id = $1)) limit 1`,
        [merchantId, DEEP_PAGE_POSITION, PAGE],
      )
    ).rows;
    // A succeeded payment from the middle of the history: its receipt is read too.
    const [middle] = (
      await client.query<{ id: string }>(
        `select id from payments where merchant_id = $1 and status = 'succeeded' order by created_at
          offset (select count(*) / 2 from payments where merchant_id = $1 and status = 'succeeded') limit 1`,
        [merchantId],
      )
    ).rows;
    const day = (offset: number) => new Date(now.getTime() - offset * 86_400_000).toISOString().slice(0, 10);
    const report = `/v1/reports/transactions?from=${day(REPORT_DAYS - 1)}&to=${day(0)}`;
    return [
      { name: `GET /v1/payments?limit=${PAGE}`, path: `/v1/payments?limit=${PAGE}` },
      { name: `GET /v1/payments?limit=${PAGE}&starting_after (deep page)`, path: `/v1/payments?limit=${PAGE}&starting_after=${deep.id}` },
      { name: 'GET /v1/payments/:id', path: `/v1/payments/${middle.id}` },
      { name: 'GET /v1/balance', path: '/v1/balance' },
      { name: `GET /v1/balance_transactions?limit=${PAGE}`, path: `/v1/balance_transactions?limit=${PAGE}` },
      { name: `GET /v1/reports/transactions (${REPORT_DAYS} days)`, path: report },
      { name: `GET /v1/reports/transactions (${REPORT_DAYS} days, a merchant with the empty database's rows)`, path: report, quiet: true },
      { name: 'GET /v1/ledger/trial_balance (admin)', path: '/v1/ledger/trial_balance', admin: true },
      // The audit that recomputes the whole ledger: its cost grows with the postings by design (the daily check runs it).
      { name: 'GET /v1/ledger/trial_balance?verify=postings (admin audit)', path: '/v1/ledger/trial_balance?verify=postings', admin: true },
    ];
  } finally {
    await client.end();
  }
}

interface Target {
  baseUrl: string;
  key: string;
  read: Read;
}

/** One request, read to its end; anything but a 200 stops the run. Answers the elapsed ms and the body's size. */
async function requestOnce({ baseUrl, key, read }: Target): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}${read.path}`, { headers: { authorization: `Bearer ${key}` } });
  const body = await response.arrayBuffer();
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`${read.name}: ${response.status} ${Buffer.from(body).toString().slice(0, 300)}`);
  return { ms, bytes: body.byteLength };
}

/**
 * The same read on both databases, one request at a time, alternating after a warm-up: the host is
 * shared, and whatever else runs on it then slows both sides alike instead of skewing the ratio.
 */
async function measurePair(empty: Target, seeded: Target): Promise<{ empty: ReadResult; seeded: ReadResult }> {
  const warmUpUntil = performance.now() + BUDGET_MS / 4;
  for (let i = 0; i < WARM_UP && performance.now() < warmUpUntil; i++) {
    await requestOnce(empty);
    await requestOnce(seeded);
  }
  const samples = { empty: [] as number[], seeded: [] as number[] };
  const bytes = { empty: 0, seeded: 0 };
  const deadline = performance.now() + BUDGET_MS;
  while (samples.seeded.length < REQUESTS && (samples.seeded.length < MIN_REQUESTS || performance.now() < deadline)) {
    for (const [side, target] of [
      ['empty', empty],
      ['seeded', seeded],
    ] as const) {
      const { ms, bytes: size } = await requestOnce(target);
      samples[side].push(ms);
      bytes[side] = size;
    }
  }
  const result = (side: 'empty' | 'seeded') => ({
    ...percentiles(samples[side]),
    requests: samples[side].length,
    responseBytes: bytes[side],
  });
  return { empty: result('empty'), seeded: result('seeded') };
}

// One key for every process of the run: the API's client and the workers read each other's payloads.
const PAYLOAD_KEYS: PayloadKey[] = [{ id: 'data-growth', key: randomBytes(32) }];

/** The API in this process, as `startApi` runs it, on its database and its own task queue of the shared Temporal dev server. */
async function startInProcessApi(url: string, adminKey: string, temporalAddress: string, taskQueue: string) {
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: url,
    ADMIN_API_KEY: adminKey,
    HOST: '127.0.0.1',
    PORT: String(await findFreePort()),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // Hundreds of sequential requests a second from one key: the limiter would answer 429.
    RATE_LIMIT_PER_SECOND: '0',
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    TEMPORAL_PAYLOAD_KEYS: formatPayloadKeys(PAYLOAD_KEYS),
    WORKFLOW_BUNDLE_PATH: path.join(DATA_DIR, 'workflow-bundle.js'),
    CARD_VAULT_KEYS: `data-growth:${randomBytes(32).toString('base64')}`,
    CARD_FINGERPRINT_KEY: randomBytes(32).toString('base64'),
    MAIL_DIR: path.join(DATA_DIR, 'mail'),
  });
  const orm = await initOrm({ url, poolMax: config.database.poolMax });
  const temporal = new TemporalClient({
    connection: await Connection.connect({ address: temporalAddress }),
    dataConverter: temporalDataConverter(PAYLOAD_KEYS),
  });
  const api = await startApi(config, orm, temporal, createLogger(config.logLevel, 'api'));
  return {
    url: api.url,
    config,
    orm,
    temporal,
    stop: async () => {
      await api.stop();
      await temporal.connection.close();
      await orm.close();
    },
  };
}

/** The production worker on a side's database and task queue (report runs are built by it), polling until stopped. */
async function startInProcessWorker(config: AppConfig, orm: Orm): Promise<{ stop(): Promise<void> }> {
  const settings = { ...config.temporal, address: config.temporal.address as string };
  const connection = await connectTemporalWorker(settings);
  const worker: Worker = await createPaymentWorker(workerOptions({ ...config, temporal: settings }, orm, connection));
  const running = worker.run();
  return {
    stop: async () => {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

async function createMerchant(baseUrl: string, adminKey: string): Promise<{ id: string; api_key: string }> {
  const response = await fetch(`${baseUrl}/v1/merchants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Measured merchant' }),
  });
  if (response.status !== 201 && response.status !== 200)
    throw new Error(`POST /v1/merchants: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; api_key: string };
}

interface PreparedPhase {
  state: PhaseState;
  api: Awaited<ReturnType<typeof startInProcessApi>>;
  adminKey: string;
  reads: Read[];
}

/** The seed wrote a ledger the API's own trial balance accepts: every entry balances and every stored balance agrees. */
async function assertBooksClose(baseUrl: string, adminKey: string): Promise<void> {
  const response = await fetch(`${baseUrl}/v1/ledger/trial_balance?verify=postings`, { headers: { authorization: `Bearer ${adminKey}` } });
  const trial = (await response.json()) as { balanced?: boolean };
  if (response.status !== 200 || trial.balanced !== true)
    throw new Error(`the seeded ledger does not close: ${JSON.stringify(trial).slice(0, 500)}`);
}

/** Drops and creates the database: one seeded at another size, or left half-seeded, starts again. */
async function recreateDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists "${database}" with (force)`);
    await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
}

/**
 * Migrates, starts the API on the database, and seeds it unless its state file says it holds this
 * size already (seeding a million payments takes minutes; the new migrations still apply).
 */
async function preparePhase(phase: Phase, url: string, adminUrl: string, temporalAddress: string): Promise<PreparedPhase> {
  const stateFile = path.join(DATA_DIR, `${phase.database}.json`);
  const saved = fs.existsSync(stateFile) ? (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as PhaseState) : undefined;
  const reuse = saved !== undefined && JSON.stringify(saved.size) === JSON.stringify(phase.size);
  if (!reuse) {
    fs.rmSync(stateFile, { force: true });
    await recreateDatabase(adminUrl, phase.database);
  }
  await migrate(url);
  const adminKey = `data_growth_admin_${randomBase62(16)}`;
  const api = await startInProcessApi(url, adminKey, temporalAddress, `data-growth-${phase.name}`);
  try {
    let state: PhaseState;
    if (reuse) {
      state = saved;
      say(`${phase.name}: reusing the database seeded earlier (${state.seed.seconds} s then; DATA_GROWTH_FRESH=1 seeds again)`);
    } else {
      const merchant = await createMerchant(api.url, adminKey);
      say(`${phase.name}: seeding ${phase.size.payments} payments...`);
      const seed = await seedDataGrowth(url, { measuredMerchantId: merchant.id, size: phase.size, log: (line) => say(`  ${line}`) });
      let quiet = { merchantId: merchant.id, apiKey: merchant.api_key };
      if (phase.name === 'seeded') {
        const other = await createMerchant(api.url, adminKey);
        await seedDataGrowth(url, { measuredMerchantId: other.id, size: EMPTY_SEED, tag: 'q' });
        quiet = { merchantId: other.id, apiKey: other.api_key };
      }
      state = { merchantId: merchant.id, apiKey: merchant.api_key, quiet, size: phase.size, seed };
      await assertBooksClose(api.url, adminKey);
      fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
      say(`${phase.name}: seeded in ${seed.seconds} s: ${JSON.stringify(seed.rows)}`);
    }
    return { state, api, adminKey, reads: await readsOf(url, state.merchantId, new Date()) };
  } catch (error) {
    await api.stop();
    throw error;
  }
}

/** The sizes; DATA_GROWTH_PAYMENTS scales them for a quick try or a bigger ledger. */
function seededSize(): SeedSize {
  const payments = Number(process.env.DATA_GROWTH_PAYMENTS ?? FULL_SEED.payments);
  return { ...FULL_SEED, payments, idempotencyKeys: Math.min(FULL_SEED.idempotencyKeys, Math.floor(payments / 10)) };
}

function formatTable(reads: Record<string, { empty: Percentiles; seeded: Percentiles; p99Ratio: number }>): string {
  const lines = ['| read | empty p50 / p99 ms | seeded p50 / p99 ms | p99 ratio | within 1.5x? |', '| --- | --- | --- | --- | --- |'];
  for (const [name, { empty, seeded, p99Ratio }] of Object.entries(reads)) {
    lines.push(
      `| ${name} | ${empty.p50} / ${empty.p99} | ${seeded.p50} / ${seeded.p99} | ${p99Ratio} | ${p99Ratio <= ALLOWED_RATIO ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (process.env.DATA_GROWTH_FRESH === '1') fs.rmSync(DATA_DIR, { recursive: true, force: true });
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const phases: Phase[] = [
    { name: 'empty', database: 'ledgerflow_empty', size: EMPTY_SEED },
    { name: 'seeded', database: 'ledgerflow_seeded', size: seededSize() },
  ];
  const postgres = await startEmbeddedPostgres({
    dataDir: path.join(DATA_DIR, 'postgres'),
    port: await findFreePort(),
    databases: phases.map((phase) => phase.database),
    log: say,
  });
  // Report runs are workflows: an in-memory dev server, and the workflows bundled once for both sides' workers.
  const temporalServer = await startTemporalDevServer({
    cliPath: await ensureTemporalCli({ toolsDir: path.join(ROOT, '.tools'), explicitPath: process.env.TEMPORAL_CLI_PATH, log: say }),
    port: await findFreePort(),
    headless: true,
    searchAttributes: CUSTOM_SEARCH_ATTRIBUTES,
    logFile: path.join(DATA_DIR, 'temporal.log'),
  });
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: workflowInterceptorModules(false),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: say, error: say },
  });
  fs.writeFileSync(path.join(DATA_DIR, 'workflow-bundle.js'), code);
  // The workers' own log lines (state changes) at the bench's level, not the SDK's default INFO on the console.
  installTemporalRuntime(createLogger(process.env.LOG_LEVEL ?? 'warn', 'worker'));
  const prepared: PreparedPhase[] = [];
  const workers: Array<{ stop(): Promise<void> }> = [];
  try {
    for (const phase of phases)
      prepared.push(await preparePhase(phase, postgres.url(phase.database), postgres.url('postgres'), temporalServer.address));
    const [empty, seeded] = prepared;
    const target = (side: PreparedPhase, index: number): Target => {
      const read = side.reads[index];
      const key = read.admin ? side.adminKey : read.quiet ? side.state.quiet.apiKey : side.state.apiKey;
      return { baseUrl: side.api.url, key, read };
    };
    const reads: Record<string, { empty: ReadResult; seeded: ReadResult; p99Ratio: number }> = {};
    // DATA_GROWTH_READS=0 measures the report runs alone (a quick check); nothing is written then.
    const measureReads = process.env.DATA_GROWTH_READS !== '0';
    for (const [index, read] of measureReads ? empty.reads.entries() : []) {
      const pair = await measurePair(target(empty, index), target(seeded, index));
      reads[read.name] = { ...pair, p99Ratio: round(pair.seeded.p99 / Math.max(pair.empty.p99, 0.1), 2) };
      say(`${read.name}: p99 ${pair.empty.p99} -> ${pair.seeded.p99} ms (${pair.seeded.requests} requests each)`);
    }
    // The 30-day report for the measured merchant as a report run: the request, then the build in the background.
    const side = (phase: PreparedPhase, database: string): ReportRunSide => ({
      baseUrl: phase.api.url,
      apiKey: phase.state.apiKey,
      databaseUrl: postgres.url(database),
      merchantId: phase.state.merchantId,
      temporal: phase.api.temporal,
    });
    const [emptySide, seededSide] = [side(empty, phases[0].database), side(seeded, phases[1].database)];
    const today = new Date();
    const reportDay = (offset: number) => new Date(today.getTime() - offset * 86_400_000).toISOString().slice(0, 10);
    const runBody = { report_type: 'transactions', parameters: { from: reportDay(REPORT_DAYS - 1), to: reportDay(0), format: 'csv' } };
    const createName = `POST /v1/reporting/report_runs (${REPORT_DAYS} days, answered pending)`;
    const create = await measureReportRunCreation(emptySide, seededSide, runBody);
    say(`${createName}: p99 ${create.empty.p99} -> ${create.seeded.p99} ms (${create.seeded.requests} requests each)`);
    for (const phase of prepared) workers.push(await startInProcessWorker(phase.api.config, phase.api.orm));
    const build = await measureReportRunBuilds(emptySide, seededSide, runBody);
    const reportRuns: ReportRunGrowth = { create, build };
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const builtLine = (name: 'empty' | 'seeded') =>
      `${name} ${median(build[name].ms)} ms for ${build[name].fileBytes} bytes (download ${median(build[name].downloadMs)} ms)`;
    say(`report run built in the background, median of ${build.empty.ms.length}: ${builtLine('empty')}; ${builtLine('seeded')}`);

    const table = formatTable({ ...reads, [createName]: create });
    say(`\n${table}\n`);
    const report = {
      measuredAt: new Date().toISOString(),
      requestsPerRead: REQUESTS,
      allowedRatio: ALLOWED_RATIO,
      seed: { seconds: seeded.state.seed.seconds, rows: seeded.state.seed.rows },
      emptyRows: empty.state.seed.rows,
      reads,
      reportRuns,
      table,
    };
    if (measureReads) {
      fs.mkdirSync(path.dirname(RESULT_FILE), { recursive: true });
      fs.writeFileSync(RESULT_FILE, `${JSON.stringify(report, null, 2)}\n`);
      say(`Written: ${path.relative(ROOT, RESULT_FILE)}`);
    }
  } finally {
    for (const worker of workers) await worker.stop();
    for (const phase of prepared) await phase.api.stop();
    await temporalServer.stop();
    await postgres.stop();
    await stopAllManagedChildren();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`data-growth bench failed: ${startupFailureText(error)}\n`);
    void stopAllManagedChildren().finally(() => process.exit(1));
  },
);
