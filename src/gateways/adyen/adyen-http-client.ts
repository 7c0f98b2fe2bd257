import { Agent, request as httpRequest, type ClientRequest } from 'node:http';
import { HttpURLConnectionClient } from './adyen-library';
import { rebaseEndpoint, type AdyenApiBase } from './adyen-api-base';

type RequestOptions = Parameters<HttpURLConnectionClient['request']>[4] & { idempotencyKey?: string };
type LibraryConfig = Parameters<HttpURLConnectionClient['request']>[2];

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
