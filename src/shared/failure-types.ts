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
  CaptureFailed: { code: 'capture_failed', message: 'The gateway could not capture the authorization.', retryable: false },
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
  // Hard declines a real gateway reports beyond the sandbox's: no retry anywhere can fix them.
  LostOrStolenCard: { code: 'card_declined', message: 'Your card was declined.', retryable: false },
  IncorrectCvc: { code: 'incorrect_cvc', message: "Your card's security code is incorrect.", retryable: false },
  // Soft declines: final at this gateway, but another acquirer may approve (routing retries elsewhere).
  ProcessingError: {
    code: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
    retryable: false,
    retryElsewhere: true,
  },
  TryAgainLater: { code: 'card_declined', message: 'Your card was declined. Try again later.', retryable: false, retryElsewhere: true },
  // The customer must authenticate (3-D Secure) and did not, or failed to.
  AuthenticationFailed: {
    code: 'payment_intent_authentication_failure',
    message: 'The customer did not complete authentication of the payment.',
    retryable: false,
  },
  // Our request was refused as malformed or unauthenticated: a configuration fault for ops, never the card's.
  GatewayMisconfigured: {
    code: 'gateway_configuration_error',
    message: 'The payment gateway refused our request; the gateway account needs attention.',
    retryable: false,
  },
  // The gateway may have acted but its answer never came: the workflow resolves it by status sync, never by a blind retry.
  GatewayOutcomeUnknown: {
    code: 'gateway_outcome_unknown',
    message: 'The payment gateway did not confirm the outcome; it is being looked up.',
    retryable: false,
  },
  // Transient: the gateway did not answer in time. Retried; the idempotency key makes that safe.
  GatewayTimeout: { code: 'gateway_timeout', message: 'The payment gateway did not answer in time.', retryable: true },
  GatewayUnavailable: { code: 'gateway_unavailable', message: 'The payment gateway is unavailable.', retryable: true },
  GatewayRateLimited: { code: 'rate_limit', message: 'The payment gateway asked us to slow down.', retryable: true },
} as const satisfies Record<string, PaymentFailureInfo>;

interface PaymentFailureInfo {
  /** The code merchants see (the payment's failure_code, the API error's code). */
  code: string;
  message: string;
  /** Retried at the same gateway under the same idempotency key (a transient fault). */
  retryable: boolean;
  /** A soft decline: final here, but routing may try the payment at another gateway account. */
  retryElsewhere?: boolean;
}

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
  InvalidReconciliationReport: 'A daily reconciliation of a report that does not exist.',
  LedgerOutOfBalance: 'The daily ledger check found the books out of balance (details: the check).',
  CheckoutSessionNotOpen: 'The checkout session is complete or expired (details: { status }).',
  CheckoutPaymentInProgress: "A checkout session's payment is still being decided.",
  CheckoutAttemptsExhausted: 'A checkout session has taken all the card attempts it allows.',
  CheckoutPaymentRefused: 'The payment of a checkout session was refused before it started (details: { code, param }).',
  ReportRunFileTooLarge: "A report run's file would be larger than the largest file a run may store.",
} as const;

export type OperationFailureType = keyof typeof OPERATION_FAILURES;

/** A non-retryable failure of one of the operation types above; workflows and activities alike throw these. */
export function operationFailure(type: OperationFailureType, message: string, details?: unknown[]): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details });
}

export function isOperationFailureType(type: string | undefined | null): type is OperationFailureType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(OPERATION_FAILURES, type);
}
