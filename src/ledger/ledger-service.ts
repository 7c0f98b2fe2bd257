import { createHash } from 'node:crypto';
import type { Sql } from '../db/sql';
import { newId } from '../shared/ids';

export interface PostingInput {
  account: string;
  merchantId?: string | null;
  currency: string;
  amountMinor: number;
}

export type LedgerSourceType = 'payment' | 'refund' | 'dispute' | 'payout' | 'fee_invoice' | 'settlement';
export type BalanceTransactionType = 'charge' | 'refund' | 'dispute' | 'dispute_reversal' | 'adjustment';

/**
 * How an entry shows in the merchant's balance history. A charge waits in pending until the
 * merchant's settlement day; everything else moves the available balance at once.
 */
export interface BalanceTransactionInput {
  type: BalanceTransactionType;
  currency: string;
  /** Gross, signed from the merchant's point of view. */
  amountMinor: number;
  feeMinor: number;
  /** For charges: days until available when the merchant has no settlement delay of its own. */
  defaultSettlementDelayDays?: number;
}

export interface JournalEntryInput {
  idempotencyKey: string;
  merchantId?: string | null;
  sourceType: LedgerSourceType;
  sourceId: string;
  description: string;
  postings: PostingInput[];
  balanceTransaction?: BalanceTransactionInput;
}

export interface PostedEntry {
  entryId: string;
  /** False when the key had been posted already and this call returned the original entry. */
  created: boolean;
}

/** Thrown when a key is reused with other postings: a bug upstream, never silently accepted. */
export class LedgerIdempotencyConflictError extends Error {
  constructor(readonly idempotencyKey: string) {
    super(`Ledger entry ${idempotencyKey} was already posted with different content`);
    this.name = 'LedgerIdempotencyConflictError';
  }
}

export class UnbalancedEntryError extends Error {
  constructor(readonly idempotencyKey: string) {
    super(`Ledger entry ${idempotencyKey} does not balance per currency`);
    this.name = 'UnbalancedEntryError';
  }
}

function byAccount(a: PostingInput, b: PostingInput): number {
  return a.account < b.account ? -1 : a.account > b.account ? 1 : a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0;
}

/** The CTE that writes the entry's balance transaction, only when the entry itself is new. */
function balanceTransactionStatement(entry: JournalEntryInput, values: unknown[]): string {
  const transaction = entry.balanceTransaction;
  if (!transaction) return '';
  if (!entry.merchantId) throw new Error(`Ledger entry ${entry.idempotencyKey}: a balance transaction needs a merchant`);
  const pending = transaction.type === 'charge';
  values.push(newId('txn'), entry.merchantId, transaction.type, entry.sourceType, entry.sourceId, entry.description, transaction.currency,
    transaction.amountMinor, transaction.feeMinor, transaction.amountMinor - transaction.feeMinor, pending ? 'pending' : 'available',
    pending, entry.merchantId, transaction.defaultSettlementDelayDays ?? 0);
  // Available on a UTC day boundary, like a bank's value date: captured on the 21st with a two-day
  // delay, the funds are available from the 23rd at 00:00 UTC.
  return `, balance_transaction as (
       insert into balance_transactions (id, merchant_id, ledger_entry_id, type, source_type, source_id, description, currency, amount_minor, fee_minor, net_minor, status, available_on)
       select ?, ?, entry.id, ?, ?, ?, ?, ?::char(3), ?::bigint, ?::bigint, ?::bigint, ?,
              case when ?::boolean
                then date_trunc('day', now(), 'UTC') + make_interval(days => coalesce((select settlement_delay_days from merchants where id = ?), ?::int))
                else now() end
         from entry)`;
}

function contentHash(entry: JournalEntryInput): string {
  const postings = [...entry.postings]
    .map((p) => [p.account, p.merchantId ?? null, p.currency, p.amountMinor])
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return createHash('sha256').update(JSON.stringify([entry.sourceType, entry.sourceId, postings])).digest('hex');
}

function assertBalanced(entry: JournalEntryInput): void {
  const sums = new Map<string, number>();
  for (const posting of entry.postings) {
    if (!Number.isSafeInteger(posting.amountMinor)) throw new UnbalancedEntryError(entry.idempotencyKey);
    sums.set(posting.currency, (sums.get(posting.currency) ?? 0) + posting.amountMinor);
  }
  if (entry.postings.length < 2 || [...sums.values()].some((sum) => sum !== 0)) throw new UnbalancedEntryError(entry.idempotencyKey);
}

/**
 * Posts a journal entry inside the caller's transaction. Posting the same key again is a no-op
 * returning the original entry; the same key with other postings is refused. The database also
 * checks the balance at commit and refuses any update or delete.
 */
export async function postJournalEntry(sql: Sql, entry: JournalEntryInput): Promise<PostedEntry> {
  assertBalanced(entry);
  const hash = contentHash(entry);
  const entryId = newId('je');
  // One statement writes the entry and its postings: the ledger is the hottest write path. A key
  // posted before inserts nothing here and is checked against the original below.
  const values: unknown[] = [entryId, entry.idempotencyKey, hash, entry.merchantId ?? null, entry.sourceType, entry.sourceId, entry.description];
  const balanceTransaction = balanceTransactionStatement(entry, values);
  // Postings go in account order: each one locks its balance row, and one order everywhere means
  // concurrent entries queue instead of deadlocking.
  const rows = [...entry.postings].sort(byAccount).map((posting, position) => {
    values.push(newId('lp'), posting.account, posting.merchantId ?? null, posting.currency, posting.amountMinor);
    return `(?, ?, ?, ?::char(3), ?::bigint, ${position})`;
  });
  const inserted = await sql.query<{ entry_id: string }>(
    `with entry as (
       insert into ledger_entries (id, idempotency_key, content_hash, merchant_id, source_type, source_id, description)
       values (?, ?, ?, ?, ?, ?, ?) on conflict (idempotency_key) do nothing returning id)
     ${balanceTransaction}
     insert into ledger_postings (id, entry_id, account, merchant_id, currency, amount_minor)
     select p.id, entry.id, p.account, p.merchant_id, p.currency, p.amount_minor
       from entry, (values ${rows.join(', ')}) as p (id, account, merchant_id, currency, amount_minor, position)
      order by p.position
     returning entry_id`,
    values,
  );
  if (inserted.length === 0) {
    const [existing] = await sql.query<{ id: string; content_hash: string }>(`select id, content_hash from ledger_entries where idempotency_key = ?`, [entry.idempotencyKey]);
    if (!existing || existing.content_hash !== hash) throw new LedgerIdempotencyConflictError(entry.idempotencyKey);
    return { entryId: existing.id, created: false };
  }
  return { entryId, created: true };
}
