import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The parameters of the redirect back to the merchant, without their signature. */
export type RedirectParams = Record<string, string>;

/**
 * The signed text: every parameter but `signature`, sorted by name, each written
 * `encodeURIComponent(name)=encodeURIComponent(value)`, joined with `&`. The README shows a merchant's check.
 */
export function canonicalRedirectParams(params: RedirectParams): string {
  return Object.keys(params)
    .filter((name) => name !== 'signature')
    .sort()
    .map((name) => `${encodeURIComponent(name)}=${encodeURIComponent(params[name])}`)
    .join('&');
}

/** HMAC-SHA256 of the canonical text under the merchant's checkout signing secret, in lowercase hex. */
export function signRedirectParams(params: RedirectParams, secret: string): string {
  return createHmac('sha256', secret).update(canonicalRedirectParams(params)).digest('hex');
}

/** True when `signature` is the one the parameters carry under `secret`; compared in constant time. */
export function verifyRedirectSignature(params: RedirectParams, secret: string): boolean {
  const given = Buffer.from(params.signature ?? '', 'utf8');
  const expected = Buffer.from(signRedirectParams(params, secret), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A new merchant checkout signing secret: `cksec_` and 32 random bytes, base64url. */
export function newCheckoutSigningSecret(): string {
  return `cksec_${randomBytes(32).toString('base64url')}`;
}

/**
 * The URL with the parameters added and a signature over its whole query (the merchant's own parameters in the
 * URL included), so a merchant verifies every parameter it reads the same way.
 */
export function signedRedirectUrl(base: string, params: RedirectParams, secret: string): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  url.searchParams.delete('signature');
  url.searchParams.set('signature', signRedirectParams(Object.fromEntries(url.searchParams), secret));
  return url.toString();
}
