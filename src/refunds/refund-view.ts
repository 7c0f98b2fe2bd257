import { minorToMajorNumber } from '../shared/money';
import type { RefundRecord } from './refund-record';
import type { RefundState } from './refund-state';
import { apiTimestamp } from '../shared/timestamps';

/** A refund as the API shows it (the API contract's shape plus reason and failure details). */
export interface RefundJson {
  id: string;
  object: 'refund';
  payment_id: string;
  amount: number;
  currency: string;
  status: RefundRecord['status'];
  reason: string | null;
  metadata: Record<string, string>;
  failure_code: string | null;
  failure_message: string | null;
  created_at: string;
}

export function refundRecordFromState(state: RefundState, updatedAt: Date): RefundRecord {
  if (state.status === 'rejected') throw new Error('A rejected refund has no record');
  return {
    id: state.refundId,
    merchantId: state.merchantId,
    paymentId: state.paymentId,
    amountMinor: state.amountMinor,
    currency: state.currency,
    status: state.status,
    reason: state.reason,
    metadata: state.metadata,
    gatewayReference: state.gatewayReference,
    failureCode: state.failureCode,
    failureMessage: state.failureMessage,
    createdAt: new Date(state.createdAt),
    updatedAt,
  };
}

export function renderRefund(refund: RefundRecord): RefundJson {
  return {
    id: refund.id,
    object: 'refund',
    payment_id: refund.paymentId,
    amount: minorToMajorNumber(refund.amountMinor, refund.currency),
    currency: refund.currency,
    status: refund.status,
    reason: refund.reason ?? null,
    metadata: refund.metadata ?? {},
    failure_code: refund.failureCode ?? null,
    failure_message: refund.failureMessage ?? null,
    created_at: apiTimestamp(refund.createdAt),
  };
}
