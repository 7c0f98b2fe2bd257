import { parseVendorApiBase } from '../vendor-api-base';

// No value import of the Adyen library here: config.ts reads this file, and the library (about 40 MB of a
// process's memory) loads only when an Adyen account is used (adyen-http-client.ts, adyen-gateway.ts).

/** Where the Adyen library's Checkout requests go instead of Adyen: an origin, under which the library keeps its own paths (/v72/...). */
export interface AdyenApiBase {
  origin: string;
}

const SETTING = 'ADYEN_API_BASE';

/** Reads `ADYEN_API_BASE` (`http://127.0.0.1:8089`), for our Adyen fake (Adyen ships no mock); unset means Adyen itself. */
export function parseAdyenApiBase(value: string | undefined): AdyenApiBase | undefined {
  const url = parseVendorApiBase(SETTING, value, 'http://127.0.0.1:8089');
  return url ? { origin: url.origin } : undefined;
}

/** The API base the environment asks for, if any. */
export function adyenApiBaseFromEnv(env: NodeJS.ProcessEnv = process.env): AdyenApiBase | undefined {
  return parseAdyenApiBase(env[SETTING]);
}

/** The library's endpoint (always its test-environment URL when a base is set) moved onto the base, path and query kept. */
export function rebaseEndpoint(endpoint: string, base: AdyenApiBase): string {
  const url = new URL(endpoint);
  return `${base.origin}${url.pathname}${url.search}`;
}
