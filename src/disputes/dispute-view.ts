import { minorToMajorNumber } from '../shared/money';
import type { DisputeRecord } from './dispute-record';
import type { DisputeState } from './dispute-state';
import { apiTimestampOrNull } from '../shared/timestamps';

const iso = apiTimestampOrNull;

export function disputeRecordFromState(state: DisputeState, updatedAt: Date): DisputeRecord {
  if (state.status === 'rejected' || state.status === 'opening') throw new Error(`A dispute that is ${state.status} has no record`);
  return {
    id: state.disputeId,
    merchantId: state.merchantId,
    paymentId: state.paymentId,
    amountMinor: state.amountMinor,
    feeMinor: state.feeMinor,
    currency: state.currency,
    status: state.status,
    reason: state.reason,
    networkReference: state.networkReference,
    evidence: state.evidence,
    evidenceSubmittedAt: state.evidenceSubmittedAt ? new Date(state.evidenceSubmittedAt) : null,
    evidenceDueBy: new Date(state.evidenceDueBy),
    closedReason: state.closedReason,
    createdAt: new Date(state.createdAt),
    updatedAt,
  };
}

/** A dispute as the API shows it. */
export function renderDispute(dispute: DisputeRecord) {
  const major = (minor: number) => minorToMajorNumber(minor, dispute.currency);
  return {
    id: dispute.id,
    object: 'dispute' as const,
    payment_id: dispute.paymentId,
    amount: major(dispute.amountMinor),
    fee: major(dispute.feeMinor),
    currency: dispute.currency,
    status: dispute.status,
    reason: dispute.reason,
    evidence: dispute.evidence ?? {},
    evidence_details: {
      due_by: iso(dispute.evidenceDueBy) as string,
      submitted_at: iso(dispute.evidenceSubmittedAt),
      has_evidence: Object.keys(dispute.evidence ?? {}).length > 0,
    },
    closed_reason: dispute.closedReason ?? null,
    created_at: iso(dispute.createdAt) as string,
  };
}

export type DisputeJson = ReturnType<typeof renderDispute>;
