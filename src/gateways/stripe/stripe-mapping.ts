import { PAYMENT_FAILURES, type PaymentFailureType } from '../../shared/failure-types';
import type { AuthorizationStatus, NextAction } from '../payment-gateway';

/** Our payment id on every PaymentIntent: status sync searches by it, inbound events find the payment by it. */
export const PAYMENT_ID_METADATA = 'ledgerflow_payment_id';
/** Our refund's idempotency key on every Stripe refund: status sync finds the refund by it. */
export const REFUND_KEY_METADATA = 'ledgerflow_refund_key';

/** The adapter's calls, for the failures whose meaning depends on what was asked. */
export type StripeOperation = 'authorize' | 'capture' | 'void' | 'refund' | 'lookup';

/** The fields of a Stripe SDK error the mapping reads (a `StripeError`, or a plain object in tests). */
export interface StripeErrorLike {
  /** The SDK's class name: StripeCardError, StripeInvalidRequestError, StripeConnectionError, ... */
  type?: string;
  code?: string;
  decline_code?: string;
  advice_code?: string;
  param?: string;
  statusCode?: number;
  message?: string;
}

/** What a Stripe error means to us: a final or retryable failure, or an answer that never came. */
export type StripeErrorOutcome =
  { kind: 'failed'; failureType: PaymentFailureType; message: string } | { kind: 'unknown'; message: string };

/**
 * Issuer decline codes (`decline_code`) and card-error codes (`code`) → our failure type. The
 * decline code is looked up first (it is the issuer's own reason); a card error matching neither is
 * a plain CardDeclined. Customers see our map's message, never Stripe's, so a fraud suspicion is
 * never revealed (Stripe's own advice for `fraudulent`, `merchant_blacklist`, lost and stolen cards).
 */
export const STRIPE_DECLINE_TABLE: Readonly<Record<string, PaymentFailureType>> = {
  card_declined: 'CardDeclined',
  generic_decline: 'CardDeclined',
  do_not_honor: 'CardDeclined',
  do_not_try_again: 'CardDeclined',
  call_issuer: 'CardDeclined',
  card_not_supported: 'CardDeclined',
  currency_not_supported: 'CardDeclined',
  duplicate_transaction: 'CardDeclined',
  invalid_account: 'CardDeclined',
  invalid_amount: 'CardDeclined',
  new_account_information_available: 'CardDeclined',
  no_action_taken: 'CardDeclined',
  not_permitted: 'CardDeclined',
  revocation_of_all_authorizations: 'CardDeclined',
  revocation_of_authorization: 'CardDeclined',
  security_violation: 'CardDeclined',
  service_not_allowed: 'CardDeclined',
  stop_payment_order: 'CardDeclined',
  transaction_not_allowed: 'CardDeclined',
  testmode_decline: 'CardDeclined',
  // Wrong card data is the customer's to correct; our map has no finer type for it than a decline.
  incorrect_number: 'CardDeclined',
  invalid_number: 'CardDeclined',
  incorrect_zip: 'CardDeclined',
  incorrect_postal_code: 'CardDeclined',
  payment_method_restricted: 'CardDeclined',
  invalid_expiry_month: 'CardDeclined',
  invalid_expiry_year: 'CardDeclined',
  // PIN declines come from card-present flows we do not run; if one appears it is final.
  incorrect_pin: 'CardDeclined',
  invalid_pin: 'CardDeclined',
  offline_pin_required: 'CardDeclined',
  online_or_offline_pin_required: 'CardDeclined',
  pin_try_exceeded: 'CardDeclined',
  insufficient_funds: 'InsufficientFunds',
  // Over the card's credit or velocity limit: to the customer this is the same as too little money.
  card_velocity_exceeded: 'InsufficientFunds',
  withdrawal_count_limit_exceeded: 'InsufficientFunds',
  // The issuer suspects the card is not in its owner's hands: final everywhere, shown as a plain decline.
  lost_card: 'LostOrStolenCard',
  stolen_card: 'LostOrStolenCard',
  pickup_card: 'LostOrStolenCard',
  restricted_card: 'LostOrStolenCard',
  fraudulent: 'LostOrStolenCard',
  // A Radar block list matched the card: as final as a fraud suspicion, and as discreet.
  merchant_blacklist: 'LostOrStolenCard',
  expired_card: 'ExpiredCard',
  expired_payment_method: 'ExpiredCard',
  incorrect_cvc: 'IncorrectCvc',
  invalid_cvc: 'IncorrectCvc',
  processing_error: 'ProcessingError',
  // Soft declines: the issuer (or Stripe's decline limiter) may approve later, or another acquirer now.
  try_again_later: 'TryAgainLater',
  issuer_not_available: 'TryAgainLater',
  reenter_transaction: 'TryAgainLater',
  approve_with_id: 'TryAgainLater',
  card_decline_rate_limit_exceeded: 'TryAgainLater',
  // The issuer wanted 3-D Secure and the customer did not (or could not) complete it.
  authentication_required: 'AuthenticationFailed',
  payment_intent_authentication_failure: 'AuthenticationFailed',
  authentication_failure: 'AuthenticationFailed',
};

/** An invalid request that is not our fault but the payment's state: the operation, Stripe's code and, where it matters, the parameter. */
export interface StripeInvalidRequestRule {
  operation: StripeOperation;
  code: string;
  param?: string;
  failureType: PaymentFailureType;
}

/**
 * Invalid-request errors with a business meaning. Every other invalid request (and every
 * authentication, permission or idempotency error) is GatewayMisconfigured: our request or the
 * account is wrong, which ops must see and no retry fixes.
 */
export const STRIPE_INVALID_REQUEST_TABLE: readonly StripeInvalidRequestRule[] = [
  // The merchant's pm_/tok_ id does not exist in its Stripe account (or was consumed): the source is bad, not our setup.
  { operation: 'authorize', code: 'resource_missing', param: 'payment_method', failureType: 'InvalidSource' },
  { operation: 'authorize', code: 'resource_missing', param: 'card[token]', failureType: 'InvalidSource' },
  { operation: 'authorize', code: 'token_already_used', failureType: 'InvalidSource' },
  { operation: 'authorize', code: 'payment_intent_authentication_failure', failureType: 'AuthenticationFailed' },
  // Not in requires_capture any more: Stripe released it (7 days for cards) or it was canceled.
  { operation: 'capture', code: 'payment_intent_unexpected_state', failureType: 'AuthorizationExpired' },
  { operation: 'capture', code: 'charge_expired_for_capture', failureType: 'AuthorizationExpired' },
  { operation: 'capture', code: 'capture_charge_authorization_expired', failureType: 'AuthorizationExpired' },
  { operation: 'refund', code: 'amount_too_large', failureType: 'RefundExceedsAvailable' },
  { operation: 'refund', code: 'charge_already_refunded', failureType: 'RefundExceedsAvailable' },
  { operation: 'refund', code: 'payment_intent_unexpected_state', failureType: 'PaymentNotRefundable' },
  // The money is tied up in a dispute or the charge cannot take refunds: the refund itself failed.
  { operation: 'refund', code: 'charge_disputed', failureType: 'RefundFailed' },
  { operation: 'refund', code: 'refund_disputed_payment', failureType: 'RefundFailed' },
  { operation: 'refund', code: 'charge_not_refundable', failureType: 'RefundFailed' },
];

/** The SDK's error classes that are not card declines or invalid requests. */
export const STRIPE_ERROR_CLASS_TABLE: Readonly<Record<string, 'unknown' | PaymentFailureType>> = {
  // 429 (including Stripe's lock_timeout): Stripe did nothing, so the same key may be sent again after a backoff.
  StripeRateLimitError: 'GatewayRateLimited',
  // The request may have reached Stripe: only status sync can tell.
  StripeConnectionError: 'unknown',
  // 5xx, and 409 for a concurrent request under the same key: Stripe may have acted (and replays a saved 500 for 24 h).
  StripeAPIError: 'unknown',
  StripeAuthenticationError: 'GatewayMisconfigured',
  StripePermissionError: 'GatewayMisconfigured',
  // The same key with other parameters: a fault in our key discipline, never the card's.
  StripeIdempotencyError: 'GatewayMisconfigured',
};

/** What a Stripe error thrown by the SDK means for the operation that got it. */
export function classifyStripeError(error: StripeErrorLike, operation: StripeOperation): StripeErrorOutcome {
  const detail = scrubSecrets(error.message ?? 'no message');
  // Another request under this key is still running at Stripe: its outcome is as unknown as a lost answer.
  if (error.code === 'idempotency_key_in_use') return { kind: 'unknown', message: `Stripe is still processing this key: ${detail}` };
  if (error.type === 'StripeCardError') return declined(declineFailureType(error));
  if (error.type === 'StripeInvalidRequestError') {
    const rule = STRIPE_INVALID_REQUEST_TABLE.find(
      (candidate) =>
        candidate.operation === operation && candidate.code === error.code && (!candidate.param || candidate.param === error.param),
    );
    if (rule)
      return {
        kind: 'failed',
        failureType: rule.failureType,
        message: `${PAYMENT_FAILURES[rule.failureType].message} (Stripe: ${detail})`,
      };
    return { kind: 'failed', failureType: 'GatewayMisconfigured', message: `Stripe refused the ${operation} request: ${detail}` };
  }
  const meaning = error.type ? STRIPE_ERROR_CLASS_TABLE[error.type] : undefined;
  if (meaning === 'unknown') return { kind: 'unknown', message: `Stripe's answer to ${operation} did not arrive: ${detail}` };
  if (meaning) return { kind: 'failed', failureType: meaning, message: `Stripe refused the ${operation} request: ${detail}` };
  // Not an API answer at all (the SDK refusing its arguments before sending): our call is wrong.
  return { kind: 'failed', failureType: 'GatewayMisconfigured', message: `The Stripe SDK refused the ${operation} call: ${detail}` };
}

/** A card error's (or a failed attempt's) failure type from the decline table, hardened by the issuer's advice. */
export function declineFailureType(error: Pick<StripeErrorLike, 'code' | 'decline_code' | 'advice_code'>): PaymentFailureType {
  const mapped =
    (error.decline_code && STRIPE_DECLINE_TABLE[error.decline_code]) || (error.code && STRIPE_DECLINE_TABLE[error.code]) || 'CardDeclined';
  // The issuer said never to retry this card: no soft decline may send it to another acquirer.
  if (error.advice_code === 'do_not_try_again' && isSoft(mapped)) return 'CardDeclined';
  return mapped;
}

function isSoft(type: PaymentFailureType): boolean {
  const failure: { retryable: boolean; retryElsewhere?: boolean } = PAYMENT_FAILURES[type];
  return failure.retryable || failure.retryElsewhere === true;
}

function declined(failureType: PaymentFailureType): StripeErrorOutcome {
  return { kind: 'failed', failureType, message: PAYMENT_FAILURES[failureType].message };
}

/** The fields of a PaymentIntent the mapping reads. */
export interface PaymentIntentLike {
  id: string;
  status: string;
  amount_received?: number | null;
  last_payment_error?: (Pick<StripeErrorLike, 'code' | 'decline_code' | 'advice_code'> & { type?: string | null }) | null;
  next_action?: { type?: string | null; redirect_to_url?: { url?: string | null } | null } | null;
}

/**
 * PaymentIntent statuses → our view. `requires_payment_method` is a decline only when an attempt
 * failed (`last_payment_error` set); without one nothing was decided yet, and anything not explicitly
 * a success or a failure is pending.
 */
export const STRIPE_STATUS_TABLE: Readonly<Record<string, AuthorizationStatus['outcome'] | 'declined_if_attempted'>> = {
  requires_capture: 'authorized',
  succeeded: 'captured',
  requires_action: 'requires_action',
  canceled: 'canceled',
  requires_payment_method: 'declined_if_attempted',
  requires_confirmation: 'pending',
  processing: 'pending',
};

/** What a PaymentIntent says about an authorization. */
export function authorizationStatusOf(intent: PaymentIntentLike): AuthorizationStatus {
  const meaning = STRIPE_STATUS_TABLE[intent.status] ?? 'pending';
  switch (meaning) {
    case 'authorized':
      return { outcome: 'authorized', reference: intent.id, capturedMinor: 0 };
    case 'captured':
      return { outcome: 'captured', reference: intent.id, capturedMinor: intent.amount_received ?? 0 };
    case 'requires_action':
      return { outcome: 'requires_action', reference: intent.id, nextAction: nextActionOf(intent) };
    case 'canceled':
      return { outcome: 'canceled', reference: intent.id };
    case 'declined_if_attempted': {
      const failure = intent.last_payment_error;
      if (!failure) return { outcome: 'pending', reference: intent.id };
      return { outcome: 'declined', reference: intent.id, failureType: declineFailureType(failure) };
    }
    default:
      return { outcome: 'pending', reference: intent.id };
  }
}

/** What the customer must do: a page to visit (3-D Secure redirect), or Stripe.js's own handling of the next action. */
export function nextActionOf(intent: Pick<PaymentIntentLike, 'next_action'>): NextAction {
  const url = intent.next_action?.type === 'redirect_to_url' ? intent.next_action.redirect_to_url?.url : undefined;
  return url ? { type: 'redirect_to_url', url } : { type: 'use_gateway_sdk', url: null };
}

/**
 * Masks what must never reach a log or an error: API keys and signing secrets (Stripe echoes a bad key
 * back in its 401 message) and digit runs long enough to be a card number.
 */
export function scrubSecrets(text: string): string {
  return text
    .replace(
      /\b((?:sk|rk|pk)_(?:test|live)_|whsec_)([A-Za-z0-9]*)/g,
      (_, prefix: string, rest: string) => `${prefix}…${rest.length > 4 ? rest.slice(-4) : ''}`,
    )
    .replace(/\d(?:[ -]?\d){11,18}/g, '[number removed]');
}
