/**
 * Money below the API boundary is an integer of minor units plus an ISO 4217 code.
 * The API speaks major units (`100.00`) as the original API contract does; these helpers convert exactly,
 * without floating-point arithmetic.
 */

/** Minor-unit exponents of the currencies we accept (ISO 4217). */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  USD: 2,
  EUR: 2,
  GBP: 2,
  CHF: 2,
  CAD: 2,
  AUD: 2,
  NZD: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  PLN: 2,
  CZK: 2,
  HUF: 2,
  INR: 2,
  SGD: 2,
  HKD: 2,
  MXN: 2,
  BRL: 2,
  ZAR: 2,
  CNY: 2,
  ILS: 2,
  AED: 2,
  JPY: 0,
  KRW: 0,
  VND: 0,
  CLP: 0,
  ISK: 0,
  KWD: 3,
  BHD: 3,
  OMR: 3,
  JOD: 3,
  TND: 3,
});

/** Largest amount we accept, in minor units: far above any card limit, far below 2^53. */
export const MAX_AMOUNT_MINOR = 99_999_999_999;

export function isSupportedCurrency(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(CURRENCY_EXPONENTS, code);
}

export function currencyExponent(currency: string): number {
  const exponent = CURRENCY_EXPONENTS[currency];
  if (exponent === undefined) throw new Error(`Unsupported currency ${currency}`);
  return exponent;
}

export type AmountParseResult = { ok: true; minor: number } | { ok: false; reason: string };

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * Parses a major-unit amount (JSON number or decimal string) into minor units for the currency.
 * Refuses non-positive values, more decimals than the currency has, and absurdly large values.
 */
export function parseMajorAmount(value: number | string, currency: string): AmountParseResult {
  const exponent = currencyExponent(currency);
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, reason: 'must be a finite number' };
    if (value <= 0) return { ok: false, reason: 'must be greater than zero' };
    // String(n) gives the shortest decimal that round-trips, so 100.1 stays "100.1", never 100.09999.
    text = String(value);
    if (/e/i.test(text)) {
      return { ok: false, reason: value < 1 ? `has more than ${exponent} decimal places for ${currency}` : 'is too large' };
    }
  } else {
    text = value.trim();
  }
  const match = DECIMAL.exec(text);
  if (!match) return { ok: false, reason: 'must be a positive decimal number such as 100.00' };
  const [, whole, fraction = ''] = match;
  const significantFraction = fraction.replace(/0+$/, '');
  if (significantFraction.length > exponent) {
    return {
      ok: false,
      reason: exponent === 0 ? `must be a whole number for ${currency}` : `has more than ${exponent} decimal places for ${currency}`,
    };
  }
  const wholeDigits = whole.replace(/^0+(?=\d)/, '');
  if (wholeDigits.length > 15) return { ok: false, reason: 'is too large' };
  const minor = Number(wholeDigits + significantFraction.padEnd(exponent, '0'));
  if (minor <= 0) return { ok: false, reason: 'must be greater than zero' };
  if (minor > MAX_AMOUNT_MINOR) return { ok: false, reason: 'is too large' };
  return { ok: true, minor };
}

/** Renders minor units as a major-unit decimal string, e.g. 10050 USD → "100.50". */
export function formatMinor(minor: number, currency: string): string {
  const exponent = currencyExponent(currency);
  const negative = minor < 0;
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const fraction = exponent === 0 ? '' : `.${digits.slice(-exponent)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** Major units as a JSON number for API responses (the contract's `"amount": 100.00`). */
export function minorToMajorNumber(minor: number, currency: string): number {
  return Number(formatMinor(minor, currency));
}

/**
 * `value * rateBps / 10000` rounded half-to-even to a whole minor unit, in integer arithmetic.
 * Used for percentage fees, where banker's rounding keeps cumulative rounding unbiased.
 */
export function applyBasisPointsHalfEven(value: number, rateBps: number): number {
  const numerator = BigInt(value) * BigInt(rateBps);
  const denominator = 10_000n;
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  const twice = remainder * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) return Number(quotient + 1n);
  return Number(quotient);
}
