import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool, type PoolClient } from 'pg';
import type { Orm } from '../src/db/orm';
import { inTransaction } from '../src/db/sql';
import { ledgerAccounts } from '../src/ledger/ledger-accounts';
import { postJournalEntry, type JournalEntryInput } from '../src/ledger/ledger-service';
import { newId } from '../src/shared/ids';
import { cpuPerOperation, snapshotCpu } from './cpu';
import { closedLoop, round, type LevelResult } from './load';

/** A capture-shaped entry: clearing, merchant gross, merchant fee, fee revenue. */
function captureEntry(merchantId: string): JournalEntryInput {
  const sourceId = newId('pay');
  return {
    idempotencyKey: `bench:${sourceId}`,
    merchantId,
    sourceType: 'payment',
    sourceId,
    description: `Bench capture of ${sourceId}`,
    postings: [
      { account: ledgerAccounts.gatewayClearing('sandbox'), currency: 'USD', amountMinor: -10_000 },
      { account: ledgerAccounts.merchantPending(merchantId), merchantId, currency: 'USD', amountMinor: 10_000 },
      { account: ledgerAccounts.merchantPending(merchantId), merchantId, currency: 'USD', amountMinor: -320 },
      { account: ledgerAccounts.feeRevenue(), currency: 'USD', amountMinor: 320 },
    ],
  };
}

/** The same rows written with plain SQL in one transaction: the floor our posting code is measured against. */
/** One transaction on a connection of the pool, each statement its own round trip (as pgbench sends them). */
async function inPoolTransaction(pool: Pool, work: (client: PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await work(client);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}

function plainInsert(pool: Pool, entry: JournalEntryInput): Promise<void> {
  return inPoolTransaction(pool, async (client) => {
    const entryId = newId('je');
    await client.query(
      `insert into ledger_entries (id, idempotency_key, content_hash, merchant_id, source_type, source_id, description) values ($1, $2, 'plain', $3, $4, $5, $6)`,
      [entryId, entry.idempotencyKey, entry.merchantId, entry.sourceType, entry.sourceId, entry.description],
    );
    const values: unknown[] = [];
    const rows = entry.postings.map((posting, i) => {
      values.push(newId('lp'), entryId, posting.account, posting.merchantId ?? null, posting.currency, posting.amountMinor);
      return `($${i * 6 + 1}, $${i * 6 + 2}, $${i * 6 + 3}, $${i * 6 + 4}, $${i * 6 + 5}, $${i * 6 + 6})`;
    });
    await client.query(
      `insert into ledger_postings (id, entry_id, account, merchant_id, currency, amount_minor) values ${rows.join(', ')}`,
      values,
    );
  });
}

/**
 * The physical figure: the smallest double-entry transaction that touches the same balances, run the way
 * pgbench runs its TPC-B-like script (one statement per round trip, each balance row updated in place, the
 * journal and its postings appended), on bare tables with nothing but primary keys. No idempotency, no
 * balance check, no balance transaction: what PostgreSQL on this machine can do, the ceiling ours is held to.
 */
const PHYSICAL_TABLES = `
  create table if not exists bench_physical_balances (account text primary key, balance bigint not null default 0);
  create table if not exists bench_physical_entries (id text primary key, merchant_id text, created_at timestamptz not null default now());
  create table if not exists bench_physical_postings (
    id bigint generated always as identity primary key, entry_id text not null, account text not null, amount bigint not null);
  create sequence if not exists bench_physical_seq;`;

function physicalDoubleEntry(pool: Pool, entry: JournalEntryInput): Promise<void> {
  return inPoolTransaction(pool, async (client) => {
    // Net movement per account, in account order (the order the project's postings lock their balances in).
    const moves = new Map<string, number>();
    for (const posting of entry.postings) moves.set(posting.account, (moves.get(posting.account) ?? 0) + posting.amountMinor);
    for (const [account, amount] of [...moves].sort(([a], [b]) => (a < b ? -1 : 1)))
      await client.query('update bench_physical_balances set balance = balance + $1 where account = $2', [amount, account]);
    const entryId = newId('je');
    await client.query('insert into bench_physical_entries (id, merchant_id) values ($1, $2)', [entryId, entry.merchantId]);
    const values: unknown[] = [entryId];
    const rows = entry.postings.map((posting, i) => {
      values.push(posting.account, posting.amountMinor);
      return `($1, $${i * 2 + 2}, $${i * 2 + 3})`;
    });
    await client.query(`insert into bench_physical_postings (entry_id, account, amount) values ${rows.join(', ')}`, values);
  });
}

/**
 * The same transaction run by pgbench itself (a custom script, -c clients, one thread per core), when pgbench is
 * on PATH (Debian's postgresql-client has it): C and libpq, so the client's own cost is nearly nothing and the
 * figure is PostgreSQL's. Accounts as captureEntry names them; merchants drawn from the same ids.
 */
function pgbenchDoubleEntry(databaseUrl: string, merchantIds: string[], seconds: number, clients: number): number | undefined {
  const version = spawnSync('pgbench', ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) return undefined;
  const merchants = merchantIds.length;
  const sample = captureEntry('MERCHANT').postings;
  const script = [
    `\\set m random(0, ${merchants - 1})`,
    'BEGIN;',
    // Net per account, in account order, as physicalDoubleEntry does.
    ...[...new Set(sample.map((posting) => posting.account))].sort().map((account) => {
      const amount = sample.filter((posting) => posting.account === account).reduce((sum, posting) => sum + posting.amountMinor, 0);
      return `UPDATE bench_physical_balances SET balance = balance + ${amount} WHERE account = ${accountSql(account, merchantIds)};`;
    }),
    `INSERT INTO bench_physical_entries (id, merchant_id) VALUES ('je_pgbench_' || :client_id || '_' || nextval('bench_physical_seq'), ${merchantSql(merchantIds)});`,
    `INSERT INTO bench_physical_postings (entry_id, account, amount) VALUES ${sample
      .map(
        (posting) =>
          `('je_pgbench_' || :client_id || '_' || currval('bench_physical_seq'), ${accountSql(posting.account, merchantIds)}, ${posting.amountMinor})`,
      )
      .join(', ')};`,
    'END;',
  ].join('\n');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-pgbench-')), 'double-entry.sql');
  fs.writeFileSync(file, `${script}\n`);
  const run = spawnSync(
    'pgbench',
    ['-n', '-c', String(clients), '-j', String(Math.min(clients, os.cpus().length)), '-T', String(seconds), '-f', file, databaseUrl],
    {
      encoding: 'utf8',
    },
  );
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(run.stdout ?? '')?.[1];
  if (run.status !== 0 || !tps)
    throw new Error(`pgbench failed: ${(run.stderr || run.stdout || '').trim().split('\n').slice(-3).join(' ')}`);
  return round(Number(tps));
}

/** The merchant's id in pgbench's script: bench merchants are `<prefix><n>`, drawn by `:m`. */
function merchantSql(merchantIds: string[]): string {
  const prefix = merchantIds[0].replace(/\d+$/, '');
  return merchantIds.length === 1 ? `'${merchantIds[0]}'` : `'${prefix}' || :m`;
}

function accountSql(account: string, merchantIds: string[]): string {
  if (!account.includes('MERCHANT')) return `'${account}'`;
  const [before, after] = account.split('MERCHANT');
  return `'${before}' || ${merchantSql(merchantIds)} || '${after}'`;
}

/** The physical reference's balance rows, one per account the bench's entries touch, as pgbench's init creates its rows. */
async function preparePhysical(pool: Pool, merchantIds: string[]): Promise<void> {
  await pool.query(PHYSICAL_TABLES);
  const accounts = new Set<string>();
  for (const merchantId of merchantIds) for (const posting of captureEntry(merchantId).postings) accounts.add(posting.account);
  await pool.query('insert into bench_physical_balances (account) select unnest($1::text[]) on conflict do nothing', [[...accounts]]);
}

export interface LedgerBenchResult {
  merchants: 'spread' | 'hot';
  /** Concurrent clients, each with its own connection (pgbench's -c). */
  clients: number;
  projectPerSecond: number;
  /** The same rows in the project's tables with plain SQL: its triggers (balances, the balance check) included. */
  plainSqlPerSecond: number;
  /** The pgbench-style double-entry transaction on bare tables (see physicalDoubleEntry). */
  physicalPerSecond: number;
  /** project / plain SQL in the same tables: what our code adds to the schema's own cost. */
  ratio: number;
  /** project / physical: issue 21's target, >= 0.8. */
  physicalRatio: number;
  /** The same double entry run by pgbench itself (C and libpq), when pgbench is installed: PostgreSQL's own ceiling here. */
  pgbenchPerSecond?: number;
  /** project / pgbench. */
  pgbenchRatio?: number;
  /**
   * CPU milliseconds per entry, PostgreSQL (its backends) and the client process, for each variant: the
   * figure that stays put when the host is noisy, where the rates swing with whatever else runs.
   */
  cpuMsPerEntry?: { physical: Record<string, number>; plainSql: Record<string, number>; project: Record<string, number> };
}

/** Ledger entries per second through postJournalEntry and through plain SQL, same Postgres, same pool size, same concurrency. */
export async function benchLedger(
  orm: Orm,
  databaseUrl: string,
  options: {
    merchantIds: string[];
    label: 'spread' | 'hot';
    seconds: number;
    inFlight: number;
    poolMax: number;
    /** The PostgreSQL server's pid, to count its backends' CPU. */
    postgresPid?: number;
  },
): Promise<LedgerBenchResult> {
  const pick = () => options.merchantIds[Math.floor(Math.random() * options.merchantIds.length)];
  const pool = new Pool({ connectionString: databaseUrl, max: options.poolMax });
  try {
    const timed = (write: () => Promise<void>) => async () => {
      const started = performance.now();
      await write();
      return { completeMs: performance.now() - started, ok: true };
    };
    const roles = {
      ...(options.postgresPid ? { postgres: { pid: options.postgresPid, withChildren: true } } : {}),
      client: { self: true },
    };
    const measured = async (write: () => Promise<void>): Promise<LevelResult> => {
      const before = snapshotCpu(roles);
      const result = await closedLoop(options.inFlight, options.seconds * 1000, timed(write));
      return { ...result, cpuMsPerOperation: cpuPerOperation(before, snapshotCpu(roles), result.completed) };
    };
    await preparePhysical(pool, options.merchantIds);
    const physical = await measured(() => physicalDoubleEntry(pool, captureEntry(pick())));
    const pgbench = pgbenchDoubleEntry(databaseUrl, options.merchantIds, options.seconds, options.inFlight);
    const plain = await measured(() => plainInsert(pool, captureEntry(pick())));
    const project = await measured(async () => {
      await inTransaction(orm, (sql) => postJournalEntry(sql, captureEntry(pick())));
    });
    return {
      merchants: options.label,
      clients: options.inFlight,
      projectPerSecond: project.perSecond,
      plainSqlPerSecond: plain.perSecond,
      physicalPerSecond: physical.perSecond,
      ratio: round(project.perSecond / plain.perSecond, 2),
      physicalRatio: round(project.perSecond / physical.perSecond, 2),
      ...(pgbench ? { pgbenchPerSecond: pgbench, pgbenchRatio: round(project.perSecond / pgbench, 2) } : {}),
      cpuMsPerEntry: {
        physical: physical.cpuMsPerOperation ?? {},
        plainSql: plain.cpuMsPerOperation ?? {},
        project: project.cpuMsPerOperation ?? {},
      },
    };
  } finally {
    await pool.end();
  }
}
