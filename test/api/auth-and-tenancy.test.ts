import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/test-stack';

let stack: TestStack;
let alice: { id: string; apiKey: string };
let bob: { id: string; apiKey: string };

beforeAll(async () => {
  stack = await startTestStack();
  alice = await stack.createMerchant('Alice');
  bob = await stack.createMerchant('Bob');
});
afterAll(async () => stack?.close());

describe('merchants and API keys', () => {
  it('when the admin creates a merchant, then the key is shown once and only its hash is stored', async () => {
    const response = await stack.request('POST', '/v1/merchants', { apiKey: 'test_admin_key_for_the_suite', body: { name: 'Carol' } });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ id: expect.stringMatching(/^mer_/), name: 'Carol', api_key: expect.stringMatching(/^sk_test_/) });
    const stored = await stack.orm.em
      .getConnection()
      .execute(`select key_hash, last4 from api_keys where merchant_id = ?`, [response.body.id]);
    expect(stored).toHaveLength(1);
    expect(stored[0].key_hash).not.toContain(response.body.api_key);
    expect(stored[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('when a merchant key is used on the admin endpoint, then 401', async () => {
    const response = await stack.request('POST', '/v1/merchants', { apiKey: alice.apiKey, body: { name: 'Mallory' } });
    expect(response.status).toBe(401);
    expect(response.body.error).toEqual(expect.any(String));
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong key', 'sk_test_wrongwrongwrongwrongwrongwrong'],
  ])('when a request has %s, then 401 with an error body', async (_case, apiKey) => {
    const response = await stack.request('GET', '/v1/payments', { apiKey });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'unauthorized', error: expect.any(String) });
  });

  it('when the header is not a Bearer token, then 401 explains the expected form', async () => {
    const response = await stack.request('GET', '/v1/payments', { headers: { authorization: `Basic ${alice.apiKey}` } });
    expect(response.status).toBe(401);
    expect(response.body.error).toContain('Bearer');
  });
});

describe('tenant boundaries', () => {
  it("when a merchant asks for another merchant's payment, then 404 as if it did not exist, and capture/cancel are 404 too", async () => {
    const { body: payment } = await stack.request('POST', '/v1/payments', {
      apiKey: alice.apiKey,
      body: { amount: 10, currency: 'EUR', source: 'tok_visa', capture: false },
    });
    for (const [method, path] of [
      ['GET', `/v1/payments/${payment.id}`],
      ['POST', `/v1/payments/${payment.id}/capture`],
      ['POST', `/v1/payments/${payment.id}/cancel`],
    ] as const) {
      const response = await stack.request(method, path, { apiKey: bob.apiKey, body: method === 'POST' ? {} : undefined });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body).toEqual({ error: 'Payment not found', code: 'resource_missing', param: 'id', request_id: expect.any(String) });
    }
    const own = await stack.request('GET', `/v1/payments/${payment.id}`, { apiKey: alice.apiKey });
    expect(own.body.status).toBe('requires_capture');
  });

  it('when a merchant lists payments, then only its own appear, newest first, paginated', async () => {
    const created: string[] = [];
    for (let i = 0; i < 3; i++) {
      created.push(
        (await stack.request('POST', '/v1/payments', { apiKey: bob.apiKey, body: { amount: i + 1, currency: 'USD', source: 'tok_visa' } }))
          .body.id,
      );
    }
    const page1 = await stack.request('GET', '/v1/payments?limit=2', { apiKey: bob.apiKey });
    expect(page1.body).toMatchObject({ object: 'list', has_more: true });
    expect(page1.body.data.map((p: { id: string }) => p.id)).toEqual([created[2], created[1]]);
    const page2 = await stack.request('GET', `/v1/payments?limit=2&starting_after=${created[1]}`, { apiKey: bob.apiKey });
    expect(page2.body.data.map((p: { id: string }) => p.id)).toEqual([created[0]]);
    expect(page2.body.has_more).toBe(false);
    const alices = await stack.request('GET', '/v1/payments?limit=100', { apiKey: alice.apiKey });
    expect(alices.body.data.some((p: { id: string }) => created.includes(p.id))).toBe(false);
  });

  it.each(['pay_doesnotexist', 'not-a-payment-id', 'pay_%27%20or%201%3D1'])(
    "when payment %s is requested, then the seed's 404 body",
    async (id) => {
      const response = await stack.request('GET', `/v1/payments/${id}`, { apiKey: alice.apiKey });
      expect(response.status).toBe(404);
      expect(response.body.error).toBe('Payment not found');
    },
  );
});
