import { createHash } from 'node:crypto';
import type { Sql } from '../db/sql';
import { newId } from '../shared/ids';
import { LedgerRepository, type NewBalanceTransaction } from './ledger-repository';

export interface PostingInput {
  account: string;
  merchantId?: string | null;
  currency: string;
  amountMinor: number;
}

export type LedgerSourceType = 'payment' | 'refund' | 'dispute' | 'payout' | 'fee_invoice' | 'settlement';
export type BalanceTransactionType =
  'charge' | 'refund' | 'dispute' | 'dispute_reversal' | 'adjustment' | 'payout' | 'payout_failure' | 'payout_cancel';

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

/** How the entry shows in the balance history: a charge waits in pending until the merchant's settlement day. */
function newBalanceTransaction(entry: JournalEntryInput): NewBalanceTransaction | undefined {
  const transaction = entry.balanceTransaction;
  if (!transaction) return undefined;
  if (!entry.merchantId) throw new Error(`Ledger entry ${entry.idempotencyKey}: a balance transaction needs a merchant`);
  return {
    merchantId: entry.merchantId,
    type: transaction.type,
    currency: transaction.currency,
    amountMinor: transaction.amountMinor,
    feeMinor: transaction.feeMinor,
    netMinor: transaction.amountMinor - transaction.feeMinor,
    pending: transaction.type === 'charge',
    defaultSettlementDelayDays: transaction.defaultSettlementDelayDays ?? 0,
  };
}

function contentHash(entry: JournalEntryInput): string {
  const postings = [...entry.postings]
    .map((p) => [p.account, p.merchantId ?? null, p.currency, p.amountMinor])
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return createHash('sha256')
    .update(JSON.stringify([entry.sourceType, entry.sourceId, postings]))
    .digest('hex');
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
  const ledger = new LedgerRepository(sql);
  // Postings go in account order: each one locks its balance row, and one order everywhere means
  // concurrent entries queue instead of deadlocking.
  const created = await ledger.insertEntry({
    id: entryId,
    idempotencyKey: entry.idempotencyKey,
    contentHash: hash,
    merchantId: entry.merchantId ?? null,
    sourceType: entry.sourceType,
    sourceId: entry.sourceId,
    description: entry.description,
    postings: [...entry.postings].sort(byAccount),
    balanceTransaction: newBalanceTransaction(entry),
  });
  // A key posted before inserted nothing: the entry must be the original, posted again.
  if (!created) {
    const existing = await ledger.findEntryByIdempotencyKey(entry.idempotencyKey);
    if (!existing || existing.contentHash !== hash) throw new LedgerIdempotencyConflictError(entry.idempotencyKey);
    return { entryId: existing.id, created: false };
  }
  return { entryId, created: true };
}
