import { describe, expect, it } from 'vitest';
import { useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';

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
    const response = await stack.request('POST', '/v1/payments', { apiKey: merchant.apiKey, rawBody: 'amount=10', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(response.status).toBe(415);
  });

  it.each([
    ['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=abc', 'limit'], ['starting_after=nope', 'starting_after'], ['colour=red', 'colour'],
  ])('when the list query has %s, then 400 names %s', async (query, param) => {
    const response = await stack.request('GET', `/v1/payments?${query}`, { apiKey: merchant.apiKey });
    expect(response.status).toBe(400);
    expect(response.body.param).toBe(param);
  });

  it('when a route does not exist, then 404 with an error body, not a 500', async () => {
    const response = await stack.request('GET', '/v1/nothing', { apiKey: merchant.apiKey });
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('route_not_found');
  });
});
