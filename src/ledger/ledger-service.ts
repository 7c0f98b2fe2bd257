import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../shared/ids';
import { LedgerEntryEntity, LedgerPostingEntity } from './ledger-entities';

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
export async function postJournalEntry(em: EntityManager, entry: JournalEntryInput): Promise<PostedEntry> {
  assertBalanced(entry);
  const hash = contentHash(entry);
  const entryId = newId('je');
  const inserted = await em.getConnection().execute<{ id: string }[]>(
    `insert into ledger_entries (id, idempotency_key, content_hash, merchant_id, source_type, source_id, description)
     values (?, ?, ?, ?, ?, ?, ?) on conflict (idempotency_key) do nothing returning id`,
    [entryId, entry.idempotencyKey, hash, entry.merchantId ?? null, entry.sourceType, entry.sourceId, entry.description],
    'all',
    em.getTransactionContext(),
  );
  if (inserted.length === 0) {
    const existing = await em.findOneOrFail(LedgerEntryEntity, { idempotencyKey: entry.idempotencyKey });
    if (existing.contentHash !== hash) throw new LedgerIdempotencyConflictError(entry.idempotencyKey);
    return { entryId: existing.id, created: false };
  }
  await em.insertMany(LedgerPostingEntity, entry.postings.map((posting) => ({
    id: newId('lp'),
    entryId,
    account: posting.account,
    merchantId: posting.merchantId ?? null,
    currency: posting.currency,
    amountMinor: posting.amountMinor,
    createdAt: new Date(),
  })));
  return { entryId, created: true };
}
