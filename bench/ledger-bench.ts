import { Pool } from 'pg';
import type { Orm } from '../src/db/orm';
import { inTransaction } from '../src/db/sql';
import { ledgerAccounts } from '../src/ledger/ledger-accounts';
import { postJournalEntry, type JournalEntryInput } from '../src/ledger/ledger-service';
import { newId } from '../src/shared/ids';
import { closedLoop, round } from './load';

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
async function plainInsert(pool: Pool, entry: JournalEntryInput): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
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
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}

export interface LedgerBenchResult {
  merchants: 'spread' | 'hot';
  projectPerSecond: number;
  plainSqlPerSecond: number;
  ratio: number;
}

/** Ledger entries per second through postJournalEntry and through plain SQL, same Postgres, same pool size, same concurrency. */
export async function benchLedger(
  orm: Orm,
  databaseUrl: string,
  options: { merchantIds: string[]; label: 'spread' | 'hot'; seconds: number; inFlight: number; poolMax: number },
): Promise<LedgerBenchResult> {
  const pick = () => options.merchantIds[Math.floor(Math.random() * options.merchantIds.length)];
  const pool = new Pool({ connectionString: databaseUrl, max: options.poolMax });
  try {
    const timed = (write: () => Promise<void>) => async () => {
      const started = performance.now();
      await write();
      return { completeMs: performance.now() - started, ok: true };
    };
    const plain = await closedLoop(
      options.inFlight,
      options.seconds * 1000,
      timed(() => plainInsert(pool, captureEntry(pick()))),
    );
    const project = await closedLoop(
      options.inFlight,
      options.seconds * 1000,
      timed(async () => {
        await inTransaction(orm, (sql) => postJournalEntry(sql, captureEntry(pick())));
      }),
    );
    return {
      merchants: options.label,
      projectPerSecond: project.perSecond,
      plainSqlPerSecond: plain.perSecond,
      ratio: round(project.perSecond / plain.perSecond, 2),
    };
  } finally {
    await pool.end();
  }
}
