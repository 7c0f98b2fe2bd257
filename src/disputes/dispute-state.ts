/** A dispute's state as its workflow owns it. Pure: the workflow bundle imports this file. */

export type DisputeStatus = 'needs_response' | 'under_review' | 'won' | 'lost';
export const DISPUTE_STATUSES: readonly DisputeStatus[] = ['needs_response', 'under_review', 'won', 'lost'];
export type DisputeClosedReason = 'accepted' | 'no_response' | 'network_decision';
export const DISPUTE_REASONS = [
  'fraudulent',
  'duplicate',
  'product_not_received',
  'product_unacceptable',
  'subscription_canceled',
  'credit_not_processed',
  'unrecognized',
  'general',
] as const;
export type DisputeReason = (typeof DISPUTE_REASONS)[number];

/** The evidence a merchant can give, as structured fields (Stripe's names where they overlap). */
export const EVIDENCE_FIELDS = [
  'product_description',
  'customer_name',
  'customer_email_address',
  'customer_communication',
  'receipt',
  'shipping_carrier',
  'shipping_tracking_number',
  'shipping_date',
  'refund_policy',
  'cancellation_policy',
  'uncategorized_text',
] as const;
export type DisputeEvidence = Partial<Record<(typeof EVIDENCE_FIELDS)[number], string>>;

export interface DisputeWorkflowInput {
  disputeId: string;
  merchantId: string;
  paymentId: string;
  amountMinor: number;
  feeMinor: number;
  currency: string;
  reason: DisputeReason;
  gateway: string;
  networkReference: string;
  evidenceDueBy: string;
  createdAt: string;
}

export interface DisputeState extends DisputeWorkflowInput {
  /** `rejected`: the payment had nothing left to dispute; nothing was written. */
  status: DisputeStatus | 'opening' | 'rejected';
  evidence: DisputeEvidence;
  evidenceSubmittedAt: string | null;
  closedReason: DisputeClosedReason | null;
  /** Bumped on every change, so each change records its own event exactly once. */
  version: number;
}

export interface SubmitEvidenceRequest {
  evidence: DisputeEvidence;
  /** False saves a draft; true submits it to the network, once. */
  submit: boolean;
}

export interface ResolveDisputeRequest {
  outcome: 'won' | 'lost';
}

export function disputeWorkflowId(disputeId: string): string {
  return `dispute-${disputeId}`;
}
