/** Where the Stripe SDK sends its requests, in the SDK's own terms. */
export interface StripeApiBase {
  host: string;
  port: number;
  protocol: 'http' | 'https';
}

const SETTING = 'STRIPE_API_BASE';

/**
 * Reads `STRIPE_API_BASE` (`http://127.0.0.1:12111`): only stripe-mock and our Stripe fake use it, so it
 * has no default; unset means Stripe itself. A bad value fails loudly rather than sending live calls elsewhere.
 */
export function parseStripeApiBase(value: string | undefined): StripeApiBase | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(text, 'it is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(text, 'the scheme must be http or https');
  if (url.username || url.password) throw invalid(text, 'it must not carry a user name or password');
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash)
    throw invalid(text, 'it must be a bare origin: the SDK adds the /v1/... paths itself');
  // The SDK hands the host to node:http, which wants an IPv6 address without its brackets.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw invalid(text, 'it has no host');
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  const port = url.port ? Number(url.port) : protocol === 'http' ? 80 : 443;
  return { host, port, protocol };
}

/** The API base the environment asks for, if any. */
export function stripeApiBaseFromEnv(env: NodeJS.ProcessEnv = process.env): StripeApiBase | undefined {
  return parseStripeApiBase(env[SETTING]);
}

function invalid(value: string, why: string): Error {
  // A value with credentials in it is not repeated back.
  const shown = value.includes('@') ? '(value not shown)' : JSON.stringify(value);
  return new Error(
    `${SETTING}=${shown} is invalid: ${why}. Expected an origin such as http://127.0.0.1:12111, or leave it unset for Stripe itself.`,
  );
}
