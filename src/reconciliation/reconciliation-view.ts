import { minorToMajorNumber } from '../shared/money';
import { apiTimestamp } from '../shared/timestamps';
import type { ReconciliationCategory, ReconciliationSummary } from './reconcile';
import type {
  ReconciliationItemRecord,
  ReconciliationKind,
  ReconciliationRecord,
  ReconciliationSource,
  ReconciliationStatus,
} from './reconciliation-record';

export interface ReconciliationItemJson {
  id: string;
  object: 'reconciliation_item';
  category: ReconciliationCategory;
  gateway_reference: string | null;
  settlement: { line: number; amount: number; currency: string; date: string } | null;
  ledger: {
    entry_id: string;
    source_type: string;
    source_id: string;
    merchant_id: string | null;
    amount: number;
    currency: string;
    posted_at: string;
  } | null;
}

/** A run as the API shows it; lists and events leave `items` out. */
export interface ReconciliationJson {
  id: string;
  object: 'reconciliation';
  status: ReconciliationStatus;
  kind: ReconciliationKind;
  source: ReconciliationSource;
  gateway: string | null;
  gateway_account: string | null;
  merchant_id: string | null;
  period_start: string;
  period_end: string;
  file_rows: number;
  summary: ReconciliationSummary;
  created_at: string;
  items?: ReconciliationItemJson[];
}

export function renderReconciliationItem(item: ReconciliationItemRecord): ReconciliationItemJson {
  return {
    id: item.id,
    object: 'reconciliation_item',
    category: item.category,
    gateway_reference: item.reference,
    settlement: item.settlement && {
      line: item.settlement.line,
      amount: minorToMajorNumber(item.settlement.amountMinor, item.settlement.currency),
      currency: item.settlement.currency,
      date: item.settlement.date,
    },
    ledger: item.ledger && {
      entry_id: item.ledger.entryId,
      source_type: item.ledger.sourceType,
      source_id: item.ledger.sourceId,
      merchant_id: item.ledger.merchantId,
      amount: minorToMajorNumber(item.ledger.amountMinor, item.ledger.currency),
      currency: item.ledger.currency,
      posted_at: apiTimestamp(item.ledger.postedAt),
    },
  };
}

export function renderReconciliation(run: ReconciliationRecord, items?: ReconciliationItemRecord[]): ReconciliationJson {
  return {
    id: run.id,
    object: 'reconciliation',
    status: run.status,
    kind: run.kind,
    source: run.source,
    gateway: run.gateway,
    gateway_account: run.gatewayAccountId,
    merchant_id: run.merchantId,
    period_start: run.periodStart,
    period_end: run.periodEnd,
    file_rows: run.fileRows,
    summary: { ...run.summary },
    created_at: apiTimestamp(run.createdAt),
    ...(items ? { items: items.map(renderReconciliationItem) } : {}),
  };
}
