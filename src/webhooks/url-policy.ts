import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { ApiError } from '../shared/api-error';

type Lookup = (hostname: string) => Promise<{ address: string }[]>;

const defaultLookup: Lookup = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** True for addresses a live-mode endpoint must never reach: loopback, private, link-local, carrier-grade NAT, unspecified, multicast. */
export function isNonPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped ? mapped[1] : address;
  if (net.isIPv4(ip)) {
    const [a, b] = ip.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      a >= 224
    );
  }
  const lower = ip.toLowerCase();
  return (
    lower === '::' ||
    lower === '::1' ||
    lower.startsWith('fe8') ||
    lower.startsWith('fe9') ||
    lower.startsWith('fea') ||
    lower.startsWith('feb') ||
    lower.startsWith('fc') ||
    lower.startsWith('fd') ||
    lower.startsWith('ff')
  );
}

function invalid(message: string): ApiError {
  return ApiError.badRequest(message, 'url_invalid', 'url');
}

/**
 * Checks an endpoint URL. Live mode requires https and a host that resolves only to public
 * addresses (no server-side request forgery into our own network); test mode also accepts http and
 * localhost, for local development.
 */
export async function validateEndpointUrl(raw: string, livemode: boolean, resolve: Lookup = defaultLookup): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('Invalid url: must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('Invalid url: must use https (or http in test mode)');
  if (url.username || url.password) throw invalid('Invalid url: must not contain credentials');
  if (!livemode) return url;
  if (url.protocol !== 'https:') throw invalid('Invalid url: live mode endpoints must use https');
  await assertPublicHost(url.hostname, resolve);
  return url;
}

/** Refuses a host that is, or resolves to, a non-public address. Checked again before each live delivery, against DNS rebinding. */
export async function assertPublicHost(hostname: string, resolve: Lookup = defaultLookup): Promise<void> {
  const host = hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = net.isIP(host) ? [host] : (await resolve(host)).map((entry) => entry.address);
  } catch {
    throw invalid(`Invalid url: ${host} does not resolve`);
  }
  if (addresses.length === 0 || addresses.some(isNonPublicAddress)) {
    throw invalid('Invalid url: live mode endpoints must resolve to public addresses only');
  }
}
