import type { PaymentFailureType, PAYMENT_FAILURES } from './failure-types';

/**
 * The catalogue of every `code` the API answers with, and what it means. `ApiError` takes only
 * these (plus the card, decline and payload codes named below), so a new code starts here, and a
 * client or the OpenAPI document can read the whole list in one place. The status is the one the
 * code is answered with; `resource_missing` is a 404 for the object in the path and a 400 for an
 * object a request names (a body field, `starting_after`).
 */
export const API_ERROR_CODES = {
  // 400: the request is wrong; `param` names the field at fault.
  parameter_invalid: { status: 400, meaning: 'A field has a value the operation does not take.' },
  parameter_missing: { status: 400, meaning: 'A required field is absent.' },
  parameter_unknown: { status: 400, meaning: 'A field the operation does not know was sent.' },
  invalid_json: { status: 400, meaning: 'The body is not JSON.' },
  invalid_request_body: { status: 400, meaning: 'The body is not a JSON object, or not UTF-8 text.' },
  invalid_request: { status: 400, meaning: 'The request could not be read at all.' },
  resource_missing: { status: 404, meaning: 'No such object for this merchant (400 when a field names it).' },
  amount_too_large: { status: 400, meaning: 'A refund of more than is left to refund.' },
  payment_not_captured: { status: 400, meaning: 'A refund of a payment that was never captured.' },
  payment_not_refundable: { status: 400, meaning: 'A refund of a payment in a status that cannot be refunded.' },
  payment_not_disputable: { status: 400, meaning: 'A test dispute on a payment with nothing left to dispute.' },
  balance_insufficient: {
    status: 400,
    meaning: 'A payout (amount and fee) larger than the available balance in its currency when its turn came: nothing was written.',
  },
  bank_account_missing: { status: 400, meaning: 'A payout with no bank_account and no default bank account for its currency.' },
  payout_not_cancelable: { status: 400, meaning: 'A cancel of a payout already sent to the bank, or final (details: status).' },
  payouts_paused: { status: 400, meaning: "A payout while ops have paused the merchant's payouts." },
  plan_inactive: { status: 400, meaning: 'A subscription to a plan that is archived.' },
  date_in_future: { status: 400, meaning: 'A report day or month that has not started yet (UTC).' },
  date_range_invalid: { status: 400, meaning: 'A report range whose start is not before its end.' },
  date_range_too_long: { status: 400, meaning: 'A report range longer than the limit.' },
  invalid_settlement_file: { status: 400, meaning: 'A settlement file that cannot be parsed (details: line, column).' },
  invalid_signature: { status: 400, meaning: 'A gateway event whose signature does not verify.' },
  invalid_event: { status: 400, meaning: 'A gateway event of an unknown shape.' },
  livemode_gateway_unavailable: { status: 400, meaning: 'A live-mode request while only test-mode gateways are configured.' },
  invalid_credentials: {
    status: 400,
    meaning: "Gateway credentials the gateway refused when verified (the gateway's reason is in the message).",
  },
  credentials_wrong_mode: {
    status: 400,
    meaning: "Gateway credentials of the other mode than the merchant's (a live key for a test-mode merchant).",
  },
  no_gateway_account: { status: 400, meaning: "None of the merchant's enabled gateway accounts takes this currency and source." },
  url_invalid: { status: 400, meaning: 'A webhook or redirect URL that is not allowed (scheme, credentials, host, private address).' },
  // 401, 403
  unauthorized: { status: 401, meaning: 'No key, or a key that is unknown, revoked or expired.' },
  test_mode_only: { status: 403, meaning: 'A test helper called with a live-mode key.' },
  insufficient_scope: {
    status: 403,
    meaning: 'An OAuth access token without the scope the operation needs (named in the message), or on an operation for API keys only.',
  },
  csrf_token_invalid: {
    status: 403,
    meaning: 'A form posted to one of our pages without the CSRF token that page gave it: nothing was recorded.',
  },
  // 404, 405
  route_not_found: { status: 404, meaning: 'No such URL.' },
  method_not_allowed: { status: 405, meaning: 'The URL exists, but not with this method (Allow says which).' },
  // 409: the request conflicts with the object's state or with another request.
  idempotency_key_in_use: { status: 409, meaning: 'Another request with this Idempotency-Key is being carried out.' },
  last_active_key: { status: 409, meaning: "Revoking the merchant's only active API key." },
  subscription_canceled: { status: 409, meaning: 'A change to a subscription that is canceled or being canceled.' },
  payment_operation_in_progress: { status: 409, meaning: 'Another capture, cancel or review of this payment is being carried out.' },
  payment_unexpected_state: { status: 409, meaning: "The payment's status does not allow this (details: status)." },
  dispute_operation_in_progress: { status: 409, meaning: 'Another change to this dispute is being carried out.' },
  dispute_unexpected_state: { status: 409, meaning: "The dispute's status does not allow this (details: status)." },
  subscription_unexpected_state: { status: 409, meaning: "The subscription's status does not allow this." },
  checkout_session_unexpected_state: { status: 409, meaning: 'The checkout session is complete or expired (details: status).' },
  checkout_payment_in_progress: { status: 409, meaning: "The checkout session's payment is still being decided." },
  bank_account_exists: {
    status: 409,
    meaning: 'The merchant already has this bank account (same fingerprint) in use: nothing was stored (details: existing_id).',
  },
  bank_account_deleted: { status: 409, meaning: 'A change to a bank account that is deleted.' },
  // 410
  checkout_session_expired: { status: 410, meaning: 'The checkout session has expired: its page takes no card (nothing was charged).' },
  challenge_expired: {
    status: 410,
    meaning: 'A 3-D Secure challenge whose payment stopped waiting for the customer (PAYMENT_ACTION_TIMEOUT).',
  },
  file_expired: { status: 410, meaning: "A report run's file past its expires_at: its contents are gone; create a new run." },
  // 413, 415, 422, 429
  body_too_large: { status: 413, meaning: 'The body is over the limit (API_BODY_LIMIT).' },
  unsupported_media_type: { status: 415, meaning: 'A body that is not JSON (or the text type the operation also takes), or not UTF-8.' },
  idempotency_key_reused: { status: 422, meaning: 'An Idempotency-Key sent again with a different request.' },
  rate_limited: { status: 429, meaning: 'Too many requests for this key (Retry-After says when to come back).' },
  // 503: retry later; with the same Idempotency-Key, a retry is safe.
  engine_unavailable: { status: 503, meaning: 'Temporal could not be reached.' },
  service_unavailable: { status: 503, meaning: 'PostgreSQL could not be reached.' },
  dispute_pending: { status: 503, meaning: 'The dispute is still being recorded.' },
  gateway_unreachable: { status: 503, meaning: 'The gateway could not be reached to verify credentials; nothing was stored.' },
  card_vault_unavailable: { status: 503, meaning: 'The card vault has no keys configured.' },
  checkout_unavailable: { status: 503, meaning: 'Checkout signing secrets cannot be sealed: the card vault has no keys configured.' },
  webhook_secrets_unavailable: { status: 503, meaning: 'Webhook signing secrets cannot be sealed: the card vault has no keys configured.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

/** Codes answered by the card validation of POST /v1/tokens (400, `param` names the card field). */
export type CardProblemCode =
  'invalid_number' | 'incorrect_number' | 'invalid_expiry_month' | 'invalid_expiry_year' | 'expired_card' | 'invalid_cvc';

/** Codes of the payment failure map: a decline answers 402, an invalid source 400. */
export type PaymentFailureCode = (typeof PAYMENT_FAILURES)[PaymentFailureType]['code'];

/** Codes of the payload codec endpoint (400): an unknown key id, or ciphertext that fails authentication. */
export type PayloadProblemCode = 'payload_key_unknown' | 'payload_decryption_failed';

export type ApiErrorCode = keyof typeof API_ERROR_CODES | CardProblemCode | PaymentFailureCode | PayloadProblemCode;

/**
 * An error the API answers with as-is: the API contract's `{ "error": "..." }` body plus a machine-readable
 * `code` and, when one field is at fault, `param`. Anything else thrown becomes a 500 whose
 * message is hidden.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: ApiErrorCode,
    readonly param?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static badRequest(message: string, code: ApiErrorCode, param?: string): ApiError {
    return new ApiError(400, message, code, param);
  }

  static notFound(message: string, code: ApiErrorCode = 'resource_missing', param?: string): ApiError {
    return new ApiError(404, message, code, param);
  }

  static conflict(message: string, code: ApiErrorCode): ApiError {
    return new ApiError(409, message, code);
  }

  static unauthorized(message = 'Invalid API key provided'): ApiError {
    return new ApiError(401, message, 'unauthorized');
  }

  static unavailable(message: string, code: ApiErrorCode = 'service_unavailable'): ApiError {
    return new ApiError(503, message, code);
  }
}

/**
 * The answers many operations share, worded once. Domain-specific refusals stay beside their
 * service, built from the codes above.
 */
export const apiErrors = {
  /** 404 `resource_missing`: `<Resource> not found` for the id in the path (or `param`). */
  notFound: (resource: string, param = 'id') => new ApiError(404, `${resource} not found`, 'resource_missing', param),
  /** 400 `resource_missing`: a request names an object the merchant does not have (`starting_after` by default). */
  noSuch: (kind: string, id: string, param = 'starting_after') => new ApiError(400, `No such ${kind}: ${id}`, 'resource_missing', param),
  /** 400 `parameter_invalid` on `param`, with the whole message. */
  invalidParameter: (param: string, message: string) => new ApiError(400, message, 'parameter_invalid', param),
  /** 400 `parameter_missing` on `param`, with the whole message. */
  missingParameter: (param: string, message: string) => new ApiError(400, message, 'parameter_missing', param),
  /** 400 `parameter_invalid` on `amount`: an amount the currency's minor units cannot hold (`reason` from parseMajorAmount). */
  invalidAmount: (reason: string) => new ApiError(400, `Invalid amount: amount ${reason}`, 'parameter_invalid', 'amount'),
  /** 400 `invalid_json`: the body does not parse. */
  notJson: () => new ApiError(400, 'The request body is not valid JSON', 'invalid_json'),
  /** 413 `body_too_large`. */
  bodyTooLarge: () => new ApiError(413, 'The request body is too large', 'body_too_large'),
  /** 415 `unsupported_media_type`: by default, a body that is not JSON. */
  unsupportedMediaType: (message = 'Content-Type must be application/json') => new ApiError(415, message, 'unsupported_media_type'),
  /** 404 `route_not_found`: no such URL. */
  routeNotFound: (method: string, path: string) => new ApiError(404, `Unrecognized request URL (${method} ${path})`, 'route_not_found'),
} as const;
