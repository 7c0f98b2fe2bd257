import type { ReconciliationCategory, ReconciliationSummary } from './reconcile';

export type ReconciliationSource = 'upload' | 'gateway_report';
export type ReconciliationStatus = 'reconciled' | 'discrepancies_found';

/** A stored reconciliation run, without its items. */
export interface ReconciliationRecord {
  id: string;
  /** Null for a platform-wide run. */
  merchantId: string | null;
  source: ReconciliationSource;
  gateway: string | null;
  status: ReconciliationStatus;
  periodStart: string;
  periodEnd: string;
  fileSha256: string;
  fileRows: number;
  summary: ReconciliationSummary;
  createdAt: Date | string;
}

export interface ReconciliationItemRecord {
  id: string;
  category: ReconciliationCategory;
  reference: string | null;
  settlement: { line: number; amountMinor: number; currency: string; date: string } | null;
  ledger: {
    entryId: string;
    sourceType: string;
    sourceId: string;
    merchantId: string | null;
    amountMinor: number;
    currency: string;
    postedAt: Date | string;
  } | null;
}
