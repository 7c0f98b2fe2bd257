import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started));

const valid = { amount: 10, currency: 'USD', source: 'tok_visa' };
const post = (body: unknown) => stack.request('POST', '/v1/payments', { apiKey: merchant.apiKey, body });

async function paymentCount(): Promise<number> {
  const rows = await stack.orm.em.getConnection().execute(`select count(*)::int as n from payments where merchant_id = ?`, [merchant.id]);
  return rows[0].n;
}

describe('bad input to POST /v1/payments is a 4xx naming the field, and nothing is written', () => {
  it.each([
    ['amount missing', { currency: 'USD', source: 'tok_visa' }, 'amount', 'parameter_missing'],
    ['currency missing', { amount: 10, source: 'tok_visa' }, 'currency', 'parameter_missing'],
    ['source missing', { amount: 10, currency: 'USD' }, 'source', 'parameter_missing'],
    ['amount a boolean', { ...valid, amount: true }, 'amount', 'parameter_invalid'],
    ['amount zero', { ...valid, amount: 0 }, 'amount', 'parameter_invalid'],
    ['amount negative', { ...valid, amount: -5 }, 'amount', 'parameter_invalid'],
    ['three decimals in USD', { ...valid, amount: 10.001 }, 'amount', 'parameter_invalid'],
    ['any decimals in JPY', { ...valid, currency: 'JPY', amount: 100.5 }, 'amount', 'parameter_invalid'],
    ['four decimals in KWD', { ...valid, currency: 'KWD', amount: '1.0001' }, 'amount', 'parameter_invalid'],
    ['a non-numeric amount string', { ...valid, amount: '12abc' }, 'amount', 'parameter_invalid'],
    ['a huge amount', { ...valid, amount: 1e300 }, 'amount', 'parameter_invalid'],
    ['an unknown currency', { ...valid, currency: 'XXX' }, 'currency', 'parameter_invalid'],
    ['currency a number', { ...valid, currency: 840 }, 'currency', 'parameter_invalid'],
    ['capture a string', { ...valid, capture: 'yes' }, 'capture', 'parameter_invalid'],
    ['an unknown field', { ...valid, customer: 'cus_1' }, 'customer', 'parameter_unknown'],
    ['metadata not an object', { ...valid, metadata: 'x' }, 'metadata', 'parameter_invalid'],
    ['an empty source', { ...valid, source: '' }, 'source', 'parameter_invalid'],
  ])('when %s, then 400 with param', async (_case, body, param, code) => {
    const before = await paymentCount();
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code, param, error: expect.stringContaining(param) });
    expect(await paymentCount()).toBe(before);
  });

  it.each([
    ['JPY whole yen', { ...valid, currency: 'jpy', amount: 1500 }, 1500],
    ['KWD three decimals', { ...valid, currency: 'KWD', amount: '1.125' }, 1.125],
    ['USD as a decimal string', { ...valid, amount: '19.90' }, 19.9],
  ])('when %s, then the amount is accepted exactly', async (_case, body, amount) => {
    const response = await post(body);
    expect(response.status).toBe(201);
    expect(response.body.amount).toBe(amount);
  });

  it('when the body is not valid JSON, then 400 invalid_json', async () => {
    const response = await stack.request('POST', '/v1/payments', { apiKey: merchant.apiKey, rawBody: '{"amount": 10,' });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_json');
  });

  it('when the body is a JSON array, then 400 says it must be an object', async () => {
    const response = await stack.request('POST', '/v1/payments', { apiKey: merchant.apiKey, rawBody: '[1,2]' });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_request_body');
  });

  it('when the body is larger than the limit, then 413', async () => {
    const response = await post({ ...valid, description: 'x'.repeat(200_000) });
    expect(response.status).toBe(413);
    expect(response.body.code).toBe('body_too_large');
  });

  it('when the body is not JSON, then 415', async () => {
    const response = await stack.request('POST', '/v1/payments', {
      apiKey: merchant.apiKey,
      rawBody: 'amount=10',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(415);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['starting_after=nope', 'starting_after'],
    ['colour=red', 'colour'],
  ])('when the list query has %s, then 400 names %s', async (query, param) => {
    const response = await stack.request('GET', `/v1/payments?${query}`, { apiKey: merchant.apiKey });
    expect(response.status).toBe(400);
    expect(response.body.param).toBe(param);
  });

  it.each(['/v1/webhook_endpoints', '/v1/refunds', '/v1/disputes', '/v1/events', '/v1/customers'])(
    'when %s is listed after an unknown cursor, then 400 names starting_after, as every list does',
    async (path) => {
      const response = await stack.request('GET', `${path}?starting_after=xx_unknown`, { apiKey: merchant.apiKey });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'resource_missing', param: 'starting_after' });
    },
  );

  it('when a route does not exist, then 404 with an error body, not a 500', async () => {
    const response = await stack.request('GET', '/v1/nothing', { apiKey: merchant.apiKey });
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('route_not_found');
  });

  it.each([
    ['TRACE', '/v1/payments', 405, 'method_not_allowed', 'GET, HEAD, POST'],
    ['PUT', '/v1/payments', 405, 'method_not_allowed', 'GET, HEAD, POST'],
    ['DELETE', '/v1/refunds/re_unknown', 405, 'method_not_allowed', 'GET, HEAD'],
    ['PROPFIND', '/v1/payments/pay_unknown/capture', 405, 'method_not_allowed', 'POST'],
    ['TRACE', '/v1/nothing', 404, 'route_not_found', undefined],
  ])('when %s %s is sent, then %i with the JSON error shape (%s) and Allow %s', async (method, path, status, code, allow) => {
    const response = await rawRequest(method, path, merchant.apiKey);
    expect(response.status).toBe(status);
    expect(response.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(response.text)).toMatchObject({ code, error: expect.stringContaining(method) });
    expect(response.allow?.split(', ').sort().join(', ')).toBe(allow);
  });
});

/** fetch refuses TRACE and other methods outright: a plain HTTP request sends anything. */
function rawRequest(
  method: string,
  path: string,
  apiKey: string,
): Promise<{ status: number; contentType?: string; allow?: string; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${stack.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${apiKey}` } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], allow: response.headers.allow, text }),
      );
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the body limit is configured by API_BODY_LIMIT', () => {
  let limited: TestStack | undefined;
  let limitedMerchant: TestMerchant;
  beforeAll(async () => {
    limited = await startTestStack({ worker: false, env: { API_BODY_LIMIT: '2kb' } });
    limitedMerchant = await limited.createMerchant();
  });
  afterAll(async () => limited?.close());

  it('when API_BODY_LIMIT is 2kb, then a 3 kB body is a 413 there and is read as usual under the default limit', async () => {
    // Currency missing: a body that is read at all is refused for that, so nothing starts.
    const body = { amount: 10, source: 'tok_visa', description: 'x'.repeat(3_000) };
    const refused = await limited!.request('POST', '/v1/payments', { apiKey: limitedMerchant.apiKey, body });
    expect(refused.status).toBe(413);
    expect(refused.body.code).toBe('body_too_large');
    const read = await post(body);
    expect(read.status).toBe(400);
    expect(read.body.param).toBe('currency');
    const small = await limited!.request('POST', '/v1/payments', {
      apiKey: limitedMerchant.apiKey,
      body: { ...body, description: 'x'.repeat(1_000) },
    });
    expect(small.status).toBe(400);
    expect(small.body.param).toBe('currency');
  });
});
