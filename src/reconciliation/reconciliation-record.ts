import type { ReconciliationCategory, ReconciliationSummary } from './reconcile';

export type ReconciliationSource = 'upload' | 'gateway_report' | 'bank_statement';
/** What a run reconciles: a gateway's settlement of charges and refunds, or a bank's statement of payouts. */
export const RECONCILIATION_KINDS = ['settlement', 'payouts'] as const;
export type ReconciliationKind = (typeof RECONCILIATION_KINDS)[number];
export type ReconciliationStatus = 'reconciled' | 'discrepancies_found';

/** A stored reconciliation run, without its items. */
export interface ReconciliationRecord {
  id: string;
  /** Null for a platform-wide run. */
  merchantId: string | null;
  kind: ReconciliationKind;
  source: ReconciliationSource;
  gateway: string | null;
  /** The gateway account whose payouts were reconciled (a merchant's Stripe account); null for every other run. */
  gatewayAccountId: string | null;
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
