import { parseVendorApiBase } from '../vendor-api-base';

/** Where the Stripe SDK sends its requests, in the SDK's own terms. */
export interface StripeApiBase {
  host: string;
  port: number;
  protocol: 'http' | 'https';
}

const SETTING = 'STRIPE_API_BASE';

/** Reads `STRIPE_API_BASE` (`http://127.0.0.1:12111`), for stripe-mock and our Stripe fake; unset means Stripe itself. */
export function parseStripeApiBase(value: string | undefined): StripeApiBase | undefined {
  const url = parseVendorApiBase(SETTING, value, 'http://127.0.0.1:12111');
  if (!url) return undefined;
  // The SDK hands the host to node:http, which wants an IPv6 address without its brackets.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  const port = url.port ? Number(url.port) : protocol === 'http' ? 80 : 443;
  return { host, port, protocol };
}

/** The API base the environment asks for, if any. */
export function stripeApiBaseFromEnv(env: NodeJS.ProcessEnv = process.env): StripeApiBase | undefined {
  return parseStripeApiBase(env[SETTING]);
}
