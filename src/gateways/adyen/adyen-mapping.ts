import { PAYMENT_FAILURES, type PaymentFailureType } from '../../shared/failure-types';
import type { AuthorizationStatus, NextAction } from '../payment-gateway';

/** The adapter's calls, for messages and the failures whose meaning depends on what was asked. */
export type AdyenOperation = 'authorize' | 'capture' | 'void' | 'refund' | 'cancel' | 'lookup' | 'verify';

/** What an error thrown by the library means to us: a final or retryable failure, or an answer that never came. */
export type AdyenErrorOutcome = { kind: 'failed'; failureType: PaymentFailureType; message: string } | { kind: 'unknown'; message: string };

/**
 * Checkout `resultCode` → our view. Anything not listed (PartiallyAuthorised: we never ask for a partial
 * amount; AuthenticationFinished/NotRequired: standalone 3DS only) is pending, per the rule that only an
 * explicit success or failure is final.
 */
export const ADYEN_RESULT_CODE_TABLE: Readonly<
  Record<string, 'authorized' | 'requires_action' | 'declined' | 'error' | 'canceled' | 'pending'>
> = {
  Authorised: 'authorized',
  Refused: 'declined',
  // Adyen: a technical error while processing; the cause is in refusalReason. Final: no money moved.
  Error: 'error',
  Cancelled: 'canceled',
  RedirectShopper: 'requires_action',
  IdentifyShopper: 'requires_action',
  ChallengeShopper: 'requires_action',
  PresentToShopper: 'requires_action',
  Pending: 'pending',
  Received: 'pending',
};

/** Adyen's `refusalReasonCode`s and the refusal reason each stands for (Adyen docs, "Refusal reasons"). */
export const ADYEN_REFUSAL_REASON_CODES: Readonly<Record<string, string>> = {
  '2': 'Refused',
  '3': 'Referral',
  '4': 'Acquirer Error',
  '5': 'Blocked Card',
  '6': 'Expired Card',
  '7': 'Invalid Amount',
  '8': 'Invalid Card Number',
  '9': 'Issuer Unavailable',
  '10': 'Not supported',
  '11': '3D Not Authenticated',
  '12': 'Not enough balance',
  '14': 'Acquirer Fraud',
  '15': 'Cancelled',
  '16': 'Shopper Cancelled',
  '17': 'Invalid Pin',
  '18': 'Pin tries exceeded',
  '19': 'Pin validation not possible',
  '20': 'FRAUD',
  '21': 'Not Submitted',
  '22': 'FRAUD-CANCELLED',
  '23': 'Transaction Not Permitted',
  '24': 'CVC Declined',
  '25': 'Restricted Card',
  '26': 'Revocation Of Auth',
  '27': 'Declined Non Generic',
  '28': 'Withdrawal amount exceeded',
  '29': 'Withdrawal count exceeded',
  '31': 'Issuer Suspected Fraud',
  '32': 'AVS Declined',
  '33': 'Card requires online pin',
  '34': 'No checking account available on Card',
  '35': 'No savings account available on Card',
  '36': 'Mobile pin required',
  '37': 'Contactless fallback',
  '38': 'Authentication required',
  '39': 'RReq not received from DS',
};

/**
 * Refusal reasons → our failure type: hard declines, soft ones (`retryElsewhere`: another acquirer may
 * approve) and authentication failures. Customers see our map's message, never Adyen's, so a fraud
 * suspicion (Adyen's risk system or the issuer's) reads as a plain decline. A reason not listed is a plain, hard decline.
 */
export const ADYEN_REFUSAL_REASON_TABLE: Readonly<Record<string, PaymentFailureType>> = {
  Refused: 'CardDeclined',
  Referral: 'CardDeclined',
  // The acquirer failed, not the issuer: another acquirer may well approve.
  'Acquirer Error': 'ProcessingError',
  'Blocked Card': 'LostOrStolenCard',
  'Expired Card': 'ExpiredCard',
  'Invalid Amount': 'CardDeclined',
  'Invalid Card Number': 'CardDeclined',
  'Issuer Unavailable': 'TryAgainLater',
  'Not supported': 'CardDeclined',
  '3D Not Authenticated': 'AuthenticationFailed',
  'Not enough balance': 'InsufficientFunds',
  'Acquirer Fraud': 'LostOrStolenCard',
  Cancelled: 'CardDeclined',
  // In our flows the shopper can only cancel on the 3-D Secure page.
  'Shopper Cancelled': 'AuthenticationFailed',
  // PIN refusals come from card-present flows we do not run; if one appears it is final.
  'Invalid Pin': 'CardDeclined',
  'Pin tries exceeded': 'CardDeclined',
  'Pin validation not possible': 'CardDeclined',
  FRAUD: 'LostOrStolenCard',
  // Adyen did not submit the transaction correctly: a processing fault, not the card's.
  'Not Submitted': 'ProcessingError',
  'FRAUD-CANCELLED': 'LostOrStolenCard',
  'Transaction Not Permitted': 'CardDeclined',
  'CVC Declined': 'IncorrectCvc',
  'Restricted Card': 'LostOrStolenCard',
  // The cardholder revoked the mandate: the schemes forbid retrying anywhere.
  'Revocation Of Auth': 'CardDeclined',
  'Declined Non Generic': 'CardDeclined',
  'Withdrawal amount exceeded': 'InsufficientFunds',
  'Withdrawal count exceeded': 'InsufficientFunds',
  'Issuer Suspected Fraud': 'LostOrStolenCard',
  'AVS Declined': 'CardDeclined',
  'Card requires online pin': 'CardDeclined',
  'No checking account available on Card': 'CardDeclined',
  'No savings account available on Card': 'CardDeclined',
  'Mobile pin required': 'CardDeclined',
  'Contactless fallback': 'CardDeclined',
  'Authentication required': 'AuthenticationFailed',
  // The card network's directory server did not answer the 3-D Secure flow: not the card's fault.
  'RReq not received from DS': 'ProcessingError',
};

/** Merchant advice codes (additionalData.merchantAdviceCode) meaning "never retry this card": they harden any soft decline. */
export const ADYEN_DO_NOT_RETRY_ADVICE = ['03', '21'] as const;

/** HTTP statuses of Adyen's error answers → meaning; a status not listed is GatewayMisconfigured (4xx) or unknown (5xx). */
export const ADYEN_HTTP_STATUS_TABLE: Readonly<Record<number, 'unknown' | PaymentFailureType>> = {
  400: 'GatewayMisconfigured',
  401: 'GatewayMisconfigured',
  403: 'GatewayMisconfigured',
  404: 'GatewayMisconfigured',
  422: 'GatewayMisconfigured',
  // Adyen did nothing, so the same key may be sent again after a backoff.
  429: 'GatewayRateLimited',
  // Adyen may have acted: only status sync (or the notification) can tell.
  500: 'unknown',
  502: 'unknown',
  503: 'unknown',
  504: 'unknown',
};

/** Adyen `errorCode`s (of 4xx answers) with a meaning other than "our request is wrong". */
export const ADYEN_ERROR_CODE_TABLE: Readonly<Record<string, 'unknown' | PaymentFailureType>> = {
  '101': 'CardDeclined', // Invalid card number
  '102': 'CardDeclined', // Unable to determine variant
  '103': 'IncorrectCvc', // CVC is not the right length
  '129': 'ExpiredCard', // Expiry Date Invalid
  '800': 'InvalidSource', // Contract not found (a stored payment method that is gone)
  // Request already processed or in progress under this idempotency key: its outcome is as unknown as a lost answer.
  '704': 'unknown',
};

/** Node's connection errors that prove the request never left us: safe to send again, and to route elsewhere. */
export const ADYEN_NETWORK_ERROR_TABLE: Readonly<Record<string, PaymentFailureType>> = {
  ECONNREFUSED: 'GatewayUnavailable',
  ENOTFOUND: 'GatewayUnavailable',
  EAI_AGAIN: 'GatewayUnavailable',
  EHOSTUNREACH: 'GatewayUnavailable',
  ENETUNREACH: 'GatewayUnavailable',
};

/** The fields of the library's errors the mapping reads: HttpClientException (an HTTP answer), ApiException (no answer), or a plain Error. */
export interface AdyenErrorLike {
  name?: string;
  message?: string;
  statusCode?: number;
  errorCode?: string;
  responseBody?: string;
  apiError?: { status?: number; errorCode?: string; message?: string; errorType?: string } | null;
}

/** What an error thrown by the library means for the operation that got it. */
export function classifyAdyenError(error: AdyenErrorLike, operation: AdyenOperation, secrets: string[] = []): AdyenErrorOutcome {
  const detail = scrubAdyenText(error.apiError?.message ?? error.message ?? 'no message', secrets);
  const answered = error.name === 'HttpClientException' && (error.responseBody !== undefined || error.apiError);
  if (!answered) {
    const code = Object.keys(ADYEN_NETWORK_ERROR_TABLE).find((candidate) => (error.message ?? '').includes(candidate));
    if (code)
      return {
        kind: 'failed',
        failureType: ADYEN_NETWORK_ERROR_TABLE[code],
        message: `Adyen could not be reached for ${operation}: ${detail}`,
      };
    // A plain Error whose message is the body of a 4xx "errors" answer: the library's form of a validation failure.
    if (error.name === 'Error' && /^\s*\{.*"errors"/s.test(error.message ?? ''))
      return { kind: 'failed', failureType: 'GatewayMisconfigured', message: `Adyen refused the ${operation} request: ${detail}` };
    return { kind: 'unknown', message: `Adyen's answer to ${operation} did not arrive: ${detail}` };
  }
  const status = error.apiError?.status ?? error.statusCode ?? 500;
  const errorCode = error.apiError?.errorCode ?? error.errorCode;
  const meaning =
    (errorCode && ADYEN_ERROR_CODE_TABLE[errorCode]) ||
    ADYEN_HTTP_STATUS_TABLE[status] ||
    (status >= 500 ? 'unknown' : 'GatewayMisconfigured');
  if (meaning === 'unknown') return { kind: 'unknown', message: `Adyen's answer to ${operation} is not known (HTTP ${status}): ${detail}` };
  return {
    kind: 'failed',
    failureType: meaning,
    message: `Adyen refused the ${operation} request (HTTP ${status}${errorCode ? `, ${errorCode}` : ''}): ${detail}`,
  };
}

/** A refusal's failure type: by its code first (stable), then its text, hardened by the merchant advice code. */
export function refusalFailureType(refusal: {
  refusalReason?: string | null;
  refusalReasonCode?: string | null;
  merchantAdviceCode?: string | null;
}): PaymentFailureType {
  const reason = (refusal.refusalReasonCode && ADYEN_REFUSAL_REASON_CODES[refusal.refusalReasonCode]) || refusal.refusalReason || '';
  const mapped = ADYEN_REFUSAL_REASON_TABLE[reason] ?? refusalByText(reason) ?? 'CardDeclined';
  const advice = (refusal.merchantAdviceCode ?? '').trim().slice(0, 2);
  if ((ADYEN_DO_NOT_RETRY_ADVICE as readonly string[]).includes(advice) && isSoft(mapped)) return 'CardDeclined';
  return mapped;
}

function refusalByText(reason: string): PaymentFailureType | undefined {
  const wanted = reason.trim().toLowerCase();
  const found = Object.keys(ADYEN_REFUSAL_REASON_TABLE).find((candidate) => candidate.toLowerCase() === wanted);
  return found ? ADYEN_REFUSAL_REASON_TABLE[found] : undefined;
}

function isSoft(type: PaymentFailureType): boolean {
  const failure: { retryable: boolean; retryElsewhere?: boolean } = PAYMENT_FAILURES[type];
  return failure.retryable || failure.retryElsewhere === true;
}

/** The fields of a Checkout /payments answer the mapping reads. */
export interface PaymentResponseLike {
  resultCode?: string | null;
  pspReference?: string | null;
  refusalReason?: string | null;
  refusalReasonCode?: string | null;
  amount?: { value?: number | null } | null;
  action?: { type?: string | null; url?: string | null } | null;
  additionalData?: Record<string, string> | null;
}

/** What a /payments answer says about the authorization; `capture` marks a sale (captured by Adyen right away). */
export function authorizationStatusOf(
  response: PaymentResponseLike,
  options: { capture: boolean; amountMinor: number },
): AuthorizationStatus {
  const reference = response.pspReference ?? null;
  const meaning = (response.resultCode && ADYEN_RESULT_CODE_TABLE[response.resultCode]) ?? 'pending';
  switch (meaning) {
    case 'authorized':
      if (!reference) return { outcome: 'pending', reference };
      return options.capture
        ? { outcome: 'captured', reference, capturedMinor: response.amount?.value ?? options.amountMinor }
        : { outcome: 'authorized', reference, capturedMinor: 0 };
    case 'requires_action':
      if (!reference) return { outcome: 'pending', reference };
      return { outcome: 'requires_action', reference, nextAction: nextActionOf(response) };
    case 'declined':
      return {
        outcome: 'declined',
        reference,
        failureType: refusalFailureType({ ...response, merchantAdviceCode: response.additionalData?.merchantAdviceCode }),
      };
    case 'error': {
      // A reason we know is a decline like any other; an unexplained technical error is for ops to look at.
      const known = response.refusalReasonCode ? ADYEN_REFUSAL_REASON_CODES[response.refusalReasonCode] : response.refusalReason;
      const failureType =
        known && (ADYEN_REFUSAL_REASON_TABLE[known] ?? refusalByText(known)) ? refusalFailureType(response) : 'GatewayMisconfigured';
      return { outcome: 'declined', reference, failureType };
    }
    case 'canceled':
      return reference ? { outcome: 'canceled', reference } : { outcome: 'declined', reference, failureType: 'CardDeclined' };
    default:
      return { outcome: 'pending', reference };
  }
}

/** What the customer must do: a page to visit (a redirect action with a URL), or Adyen's Drop-in/Components for the rest (3DS2 fingerprint and challenge). */
export function nextActionOf(response: Pick<PaymentResponseLike, 'action'>): NextAction {
  const url = response.action?.type === 'redirect' ? response.action.url : undefined;
  return url ? { type: 'redirect_to_url', url } : { type: 'use_gateway_sdk', url: null };
}

/** Masks what must never reach a log or an error: the given secrets (the API key) and digit runs long enough to be a card number. */
export function scrubAdyenText(text: string, secrets: string[] = []): string {
  let scrubbed = text;
  for (const secret of secrets) if (secret.length >= 4) scrubbed = scrubbed.split(secret).join('[secret removed]');
  return scrubbed.replace(/\d(?:[ -]?\d){11,18}/g, '[number removed]');
}
