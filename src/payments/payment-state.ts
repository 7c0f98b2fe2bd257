/**
 * The payment's state as the workflow owns it. Pure types and functions, with no I/O: the
 * workflow bundle imports this file.
 */

export type PaymentStatus = 'processing' | 'requires_review' | 'requires_capture' | 'succeeded' | 'failed' | 'canceled';
export const PAYMENT_STATUSES: readonly PaymentStatus[] = [
  'processing',
  'requires_review',
  'requires_capture',
  'succeeded',
  'failed',
  'canceled',
];
export const FINAL_PAYMENT_STATUSES: readonly PaymentStatus[] = ['succeeded', 'failed', 'canceled'];

export type CaptureMethod = 'automatic' | 'manual';
export type CancellationReason = 'requested_by_customer' | 'duplicate' | 'fraudulent' | 'abandoned' | 'expired';
export const MERCHANT_CANCELLATION_REASONS = ['requested_by_customer', 'duplicate', 'fraudulent', 'abandoned'] as const;

export interface FeeSchedule {
  percentBps: number;
  fixedMinor: number;
}

/** What the merchant asked for, fixed at creation. Card data never travels here: only the token. */
export interface PaymentTerms {
  paymentId: string;
  merchantId: string;
  amountMinor: number;
  currency: string;
  source: string;
  description: string | null;
  metadata: Record<string, string>;
  captureMethod: CaptureMethod;
  gateway: string;
  createdAt: string;
}

/** Everything the workflow needs: the terms plus the policies in force when the payment was created. */
export interface PaymentWorkflowInput extends PaymentTerms {
  authorizationTtlMs: number;
  fees: FeeSchedule;
  /** How long a payment held for review waits for a decision; optional, so recorded inputs without it still replay. */
  reviewTimeoutMs?: number;
}

/** The review timeout of an input that carries none (PAYMENT_REVIEW_TIMEOUT's default). */
export const DEFAULT_REVIEW_TIMEOUT_MS = 24 * 3600 * 1000;

export type ReviewDecision = 'approve' | 'decline';
export const REVIEW_DECISIONS = ['approve', 'decline'] as const;

/** Ops' decision on a payment held for review: the `review` update's argument. */
export interface ReviewRequest {
  decision: ReviewDecision;
  /** Who decided, for the workflow's state and history (the API sends `admin_api`). */
  reviewer?: string;
  note?: string;
}

/** A manual review: why the payment was held, until when, and what was decided. Kept in the workflow's state only. */
export interface PaymentReview {
  rule: string;
  heldAt: string;
  expiresAt: string;
  outcome: ReviewDecision | 'timeout' | null;
  reviewer: string | null;
  note: string | null;
  decidedAt: string | null;
}

export interface PaymentState extends PaymentTerms {
  status: PaymentStatus;
  amountCapturableMinor: number;
  amountCapturedMinor: number;
  feeMinor: number;
  gatewayReference: string | null;
  failureCode: string | null;
  failureMessage: string | null;
  cancellationReason: CancellationReason | null;
  authorizationExpiresAt: string | null;
  capturedAt: string | null;
  canceledAt: string | null;
  /** Set once the payment was held for review. */
  review?: PaymentReview | null;
}

export function initialPaymentState(input: PaymentWorkflowInput): PaymentState {
  const { authorizationTtlMs: _ttl, fees: _fees, reviewTimeoutMs: _review, ...terms } = input;
  return {
    ...terms,
    status: 'processing',
    amountCapturableMinor: 0,
    amountCapturedMinor: 0,
    feeMinor: 0,
    gatewayReference: null,
    failureCode: null,
    failureMessage: null,
    cancellationReason: null,
    authorizationExpiresAt: null,
    capturedAt: null,
    canceledAt: null,
  };
}

export function isFinalPaymentStatus(status: PaymentStatus): boolean {
  return FINAL_PAYMENT_STATUSES.includes(status);
}

/** The workflow ID of a payment: readable in the Temporal UI and derived from the business key. */
export function paymentWorkflowId(paymentId: string): string {
  return `payment-${paymentId}`;
}

export interface CaptureRequest {
  /** Minor units to capture; the whole authorization when omitted. */
  amountMinor?: number;
}

export interface CancelRequest {
  reason: CancellationReason;
}
