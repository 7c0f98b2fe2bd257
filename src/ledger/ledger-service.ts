import { createHash } from 'node:crypto';
import type { Sql } from '../db/sql';
import { newId } from '../shared/ids';

export interface PostingInput {
  account: string;
  merchantId?: string | null;
  currency: string;
  amountMinor: number;
}

export interface JournalEntryInput {
  idempotencyKey: string;
  merchantId?: string | null;
  sourceType: 'payment' | 'refund' | 'dispute' | 'payout' | 'fee_invoice';
  sourceId: string;
  description: string;
  postings: PostingInput[];
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
  const rows = entry.postings.map((posting) => {
    values.push(newId('lp'), posting.account, posting.merchantId ?? null, posting.currency, posting.amountMinor);
    return '(?, ?, ?, ?::char(3), ?::bigint)';
  });
  const inserted = await sql.query<{ entry_id: string }>(
    `with entry as (
       insert into ledger_entries (id, idempotency_key, content_hash, merchant_id, source_type, source_id, description)
       values (?, ?, ?, ?, ?, ?, ?) on conflict (idempotency_key) do nothing returning id)
     insert into ledger_postings (id, entry_id, account, merchant_id, currency, amount_minor)
     select p.id, entry.id, p.account, p.merchant_id, p.currency, p.amount_minor
       from entry, (values ${rows.join(', ')}) as p (id, account, merchant_id, currency, amount_minor)
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
