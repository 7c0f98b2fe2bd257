import { ApplicationFailure } from '@temporalio/common';

/**
 * The one map of business failures. Activities throw `ApplicationFailure`s whose `type` is a key
 * here; workflows and the API read `type`, never the message. No I/O: workflows import it.
 */
export const PAYMENT_FAILURES = {
  CardDeclined: { code: 'card_declined', message: 'Your card was declined.', retryable: false },
  InsufficientFunds: { code: 'insufficient_funds', message: 'Your card has insufficient funds.', retryable: false },
  ExpiredCard: { code: 'expired_card', message: 'Your card has expired.', retryable: false },
  FraudBlocked: { code: 'fraud_blocked', message: 'The payment was blocked as likely fraudulent.', retryable: false },
  // Decided by the payment workflow itself after a manual review, never thrown by an activity.
  ReviewDeclined: { code: 'review_declined', message: 'The payment was declined after a manual review.', retryable: false },
  ReviewTimedOut: { code: 'review_timeout', message: 'The payment was declined: nobody reviewed it in time.', retryable: false },
  InvalidSource: { code: 'invalid_source', message: 'Invalid payment source', retryable: false },
  AuthorizationExpired: { code: 'authorization_expired', message: 'The authorization expired before capture.', retryable: false },
  RefundFailed: { code: 'refund_failed', message: 'The gateway could not refund the charge.', retryable: false },
  RefundExceedsAvailable: { code: 'amount_too_large', message: 'Invalid refund amount', retryable: false },
  PaymentNotRefundable: {
    code: 'payment_not_refundable',
    message: 'Only a captured payment can be refunded; cancel an uncaptured one instead.',
    retryable: false,
  },
  DisputeExceedsAvailable: { code: 'payment_not_disputable', message: 'Nothing of this payment is left to dispute.', retryable: false },
  LedgerIdempotencyConflict: {
    code: 'ledger_idempotency_conflict',
    message: 'A ledger entry with this key exists with different content.',
    retryable: false,
  },
  // Transient: the gateway did not answer in time. Retried; the idempotency key makes that safe.
  GatewayTimeout: { code: 'gateway_timeout', message: 'The payment gateway did not answer in time.', retryable: true },
  GatewayUnavailable: { code: 'gateway_unavailable', message: 'The payment gateway is unavailable.', retryable: true },
} as const;

export type PaymentFailureType = keyof typeof PAYMENT_FAILURES;

export const PAYMENT_FAILURE_TYPES = Object.keys(PAYMENT_FAILURES) as PaymentFailureType[];

/** Failure types that no retry can fix: activity retry policies list these as non-retryable. */
export const NON_RETRYABLE_FAILURE_TYPES: PaymentFailureType[] = PAYMENT_FAILURE_TYPES.filter((type) => !PAYMENT_FAILURES[type].retryable);

export function isPaymentFailureType(type: string | undefined | null): type is PaymentFailureType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(PAYMENT_FAILURES, type);
}

/**
 * Failures of an operation rather than of a payment: a request a workflow refuses in its current
 * state, a scheduled job's input that can never be valid, an integrity alarm. None goes away on a
 * retry. The services map the ones a request can meet to 4xx answers by `type`.
 */
export const OPERATION_FAILURES = {
  InvalidCaptureAmount: 'A capture of nothing, or of more than is capturable.',
  InvalidCancellationReason: 'A cancellation reason the payment does not know.',
  InvalidReviewDecision: 'A review decision other than approve or decline, or an overlong note.',
  PaymentUnexpectedState: 'The payment cannot do this in its status (details: { status }).',
  DisputeUnexpectedState: 'The dispute cannot do this in its status (details: { status }).',
  InvalidDisputeOutcome: 'A network decision other than won or lost.',
  SubscriptionCanceled: 'The subscription is canceled or being canceled.',
  SubscriptionNotActive: 'Only an active subscription can do this.',
  SubscriptionNotPaused: 'Only a paused subscription can be resumed.',
  SamePlan: 'A plan change to the plan the subscription is on.',
  PlanCurrencyMismatch: 'A plan change to another currency.',
  PlanIntervalMismatch: 'A plan change to another billing interval.',
  CustomerNotFound: "A subscription's customer is gone.",
  InvalidFeeInvoicePeriod: 'A fee invoice period not written YYYY-MM.',
  FeeInvoicePeriodNotEnded: 'A fee invoice for a month not yet over.',
  InvalidSubscriptionReportMonth: 'A subscription report month not written YYYY-MM.',
  SubscriptionReportMonthNotEnded: 'A subscription report for a month not yet over.',
  SubscriptionCheckWithoutTemporalClient: 'A worker built without the Temporal client the subscription check describes workflows with.',
  InvalidReconciliationDay: 'A reconciliation day not written YYYY-MM-DD.',
  LedgerOutOfBalance: 'The daily ledger check found the books out of balance (details: the check).',
} as const;

export type OperationFailureType = keyof typeof OPERATION_FAILURES;

/** A non-retryable failure of one of the operation types above; workflows and activities alike throw these. */
export function operationFailure(type: OperationFailureType, message: string, details?: unknown[]): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details });
}

export function isOperationFailureType(type: string | undefined | null): type is OperationFailureType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(OPERATION_FAILURES, type);
}
