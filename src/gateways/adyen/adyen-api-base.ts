import { Agent, request as httpRequest, type ClientRequest } from 'node:http';
import { HttpURLConnectionClient } from '@adyen/api-library';
import { parseVendorApiBase } from '../vendor-api-base';

type RequestOptions = Parameters<HttpURLConnectionClient['request']>[4] & { idempotencyKey?: string };
type LibraryConfig = Parameters<HttpURLConnectionClient['request']>[2];

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

/**
 * The library's own HTTP client (its headers, its error classes, its response handling), pointed at the
 * base. Only opening the socket differs for an http:// base: the library always calls https.request,
 * which refuses plain http, and our fake serves plain http on localhost.
 */
export class AdyenApiBaseClient extends HttpURLConnectionClient {
  constructor(private readonly base: AdyenApiBase) {
    super();
  }

  override request(endpoint: string, json: string | Buffer, config: LibraryConfig, isApiRequired: boolean, options?: RequestOptions) {
    return super.request(rebaseEndpoint(endpoint, this.base), json, config, isApiRequired, options);
  }
}

type CreateRequest = (this: HttpURLConnectionClient, endpoint: string, options: RequestOptions, applicationName?: string) => ClientRequest;
const libraryPrototype = HttpURLConnectionClient.prototype as unknown as { createRequest: CreateRequest };
const libraryCreateRequest = libraryPrototype.createRequest;
const LIBRARY_NAME = 'adyen-node-api-library';

// createRequest is private in the library's typings, so it is replaced on the prototype rather than overridden.
(AdyenApiBaseClient.prototype as unknown as { createRequest: CreateRequest }).createRequest = function createRequest(
  this: HttpURLConnectionClient,
  endpoint: string,
  options: RequestOptions,
  applicationName?: string,
): ClientRequest {
  const url = new URL(endpoint);
  if (url.protocol !== 'http:') return libraryCreateRequest.call(this, endpoint, options, applicationName);
  // The same headers the library's createRequest sets, so the fake sees what Adyen would.
  const headers: Record<string, string> = { ...(options.headers as Record<string, string> | undefined) };
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  headers['Cache-Control'] = 'no-cache';
  headers['Accept-Charset'] = 'utf-8';
  const libraryInfo = `${LIBRARY_NAME}/${libraryVersion()}`;
  headers['User-Agent'] = applicationName ? `${applicationName} ${libraryInfo}` : libraryInfo;
  headers['adyen-library-name'] = LIBRARY_NAME;
  headers['adyen-library-version'] = libraryVersion();
  const path = url.pathname + (options.params ? `?${new URLSearchParams(options.params as Record<string, string>).toString()}` : '');
  const req = httpRequest({
    method: options.method ?? 'POST',
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port || 80,
    path,
    headers,
    // A fresh agent per request, as the library does for https: no pooled socket the server may have closed meanwhile.
    agent: new Agent(),
  });
  if (options.timeout) req.setTimeout(options.timeout);
  return req;
};

let version: string | undefined;
function libraryVersion(): string {
  version ??= (require('@adyen/api-library/package.json') as { version: string }).version;
  return version;
}
