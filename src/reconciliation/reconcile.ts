import type { SettlementRow } from './settlement-csv';

export const RECONCILIATION_CATEGORIES = ['matched', 'amount_mismatch', 'missing_in_ledger', 'missing_in_settlement'] as const;
export type ReconciliationCategory = (typeof RECONCILIATION_CATEGORIES)[number];
export type ReconciliationSummary = Record<ReconciliationCategory, number>;

/** Our side of a settlement: one capture or refund entry as the gateway should see it, or one payout paid or returned as the bank should. */
export interface LedgerSettlementItem {
  entryId: string;
  sourceType: 'payment' | 'refund' | 'payout';
  sourceId: string;
  /** The gateway's id for the charge or refund, or the bank's for the payout; null if none was given. */
  reference: string | null;
  /** Signed from the gateway's or bank's point of view: captures positive, refunds negative; payouts paid negative, returned positive. */
  amountMinor: number;
  currency: string;
}

export interface ReconciledItem {
  category: ReconciliationCategory;
  reference: string | null;
  settlement: SettlementRow | null;
  ledger: LedgerSettlementItem | null;
}

const sameMoney = (row: SettlementRow, item: LedgerSettlementItem) =>
  row.amountMinor === item.amountMinor && row.currency === item.currency;

/**
 * Classifies every file row and every ledger item exactly once: a row and an item with the same
 * reference pair up (matched when amount and currency agree, amount_mismatch otherwise); the rest
 * are missing on the other side. File rows come first in file order, then unpaired ledger items.
 */
export function reconcile(
  rows: SettlementRow[],
  ledger: LedgerSettlementItem[],
): { items: ReconciledItem[]; summary: ReconciliationSummary } {
  const unpaired = new Map<string, LedgerSettlementItem[]>();
  for (const item of ledger) {
    if (item.reference === null) continue;
    const same = unpaired.get(item.reference);
    if (same) same.push(item);
    else unpaired.set(item.reference, [item]);
  }
  const paired = new Set<LedgerSettlementItem>();
  const items: ReconciledItem[] = rows.map((row) => {
    const candidates = unpaired.get(row.reference) ?? [];
    // Our ledger holds one entry per reference; should it hold more, the row takes the one that agrees.
    const index = Math.max(
      candidates.findIndex((item) => sameMoney(row, item)),
      0,
    );
    const [item] = candidates.splice(index, 1);
    if (!item) return { category: 'missing_in_ledger', reference: row.reference, settlement: row, ledger: null };
    paired.add(item);
    return { category: sameMoney(row, item) ? 'matched' : 'amount_mismatch', reference: row.reference, settlement: row, ledger: item };
  });
  for (const item of ledger) {
    if (!paired.has(item)) items.push({ category: 'missing_in_settlement', reference: item.reference, settlement: null, ledger: item });
  }
  const summary: ReconciliationSummary = { matched: 0, amount_mismatch: 0, missing_in_ledger: 0, missing_in_settlement: 0 };
  for (const item of items) summary[item.category] += 1;
  return { items, summary };
}

/** True when anything but matched items came out. */
export function hasDiscrepancies(summary: ReconciliationSummary): boolean {
  return summary.amount_mismatch + summary.missing_in_ledger + summary.missing_in_settlement > 0;
}
