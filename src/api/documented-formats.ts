/**
 * The shapes the server checks in code, written as JSON Schema patterns so that the OpenAPI
 * document accepts no less and hardly more than the server does. A client generated from the
 * document then sends what the server takes. Each is at least as strict as the check it mirrors.
 */

const YEAR_1971_TO_9999 = '(197[1-9]|19[89]\\d|[2-9]\\d{3})';
// Days 29-31 are left out: not every month has them, and a pattern cannot tell which.
const MONTH_DAY = '(0[1-9]|1[0-2])-(0[1-9]|1\\d|2[0-8])';
const TIME_WITH_ZONE = 'T([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d{1,6})?)?(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d)';

/** A UTC day, YYYY-MM-DD. */
export const ISO_DAY_PATTERN = `^${YEAR_1971_TO_9999}-${MONTH_DAY}$`;
/** A day, or an instant with its zone. */
export const ISO_DAY_OR_TIMESTAMP_PATTERN = `^${YEAR_1971_TO_9999}-${MONTH_DAY}(${TIME_WITH_ZONE})?$`;
/** Unix seconds (up to 11 digits: before the year 5000), a day, or an instant with its zone. */
export const QUERY_INSTANT_PATTERN = `^(\\d{1,11}|${YEAR_1971_TO_9999}-${MONTH_DAY}(${TIME_WITH_ZONE})?)$`;
/** What an Idempotency-Key may hold: printable ASCII, no spaces. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]{1,255}$';
/** No string may hold NUL: PostgreSQL text cannot store it, so validation refuses it everywhere. */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';
/** A payment source: a sandbox test token (tok_visa), a vault token (tok_ and 22 letters and digits), or a Stripe PaymentMethod (pm_...). */
export const SOURCE_TOKEN_PATTERN = '^(tok|pm)_[A-Za-z0-9_]{1,60}$';
/** An absolute http(s) URL. */
export const HTTP_URL_PATTERN = '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[\\x21-\\x7e]*)?$';
