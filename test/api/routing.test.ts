import { describe, expect, it } from 'vitest';
import { getPaymentStateQuery } from '../../workflows/payment-workflow';
import { paymentWorkflowId } from '../../src/payments/payment-state';
import { capturePayment, createPayment, type Caller } from '../support/api-calls';
import { useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';

let stack: TestStack;
let someoneElse: TestMerchant;
useTestStack((started) => ({ stack, merchant: someoneElse } = started));

/** A sandbox gateway account of the merchant's, at `priority`. */
async function sandboxAccount(caller: Caller, body: Record<string, unknown> = {}): Promise<string> {
  const created = await stack.request('POST', '/v1/gateway_accounts', { apiKey: caller.apiKey, body: { gateway: 'sandbox', ...body } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

const putRouting = (caller: Caller, body: unknown, headers: Record<string, string> = {}) =>
  stack.request('PUT', '/v1/routing', { apiKey: caller.apiKey, body, headers });

async function routed(caller: Caller, body: unknown): Promise<number> {
  const response = await putRouting(caller, body);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.version as number;
}

describe('GET and PUT /v1/routing', () => {
  it('when the merchant never set routing, then GET answers version 0, no rules and 3 attempts', async () => {
    const merchant = await stack.createMerchant();
    const response = await stack.request('GET', '/v1/routing', { apiKey: merchant.apiKey });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ object: 'routing', version: 0, rules: [], max_attempts: 3, created_at: null });
  });

  it('when rules are stored twice, then each PUT is the next version and GET answers the last; a retried key answers its own version', async () => {
    const merchant = await stack.createMerchant();
    const [a, b] = [await sandboxAccount(merchant), await sandboxAccount(merchant)];
    const first = {
      rules: [{ match: { currencies: ['eur'], card_brands: ['visa'], min_amount: 1, max_amount: 99.5 }, accounts: [a, b] }],
      max_attempts: 2,
    };
    const stored = await putRouting(merchant, first, { 'idempotency-key': 'routing-1' });
    expect(stored.status).toBe(200);
    expect(stored.body).toEqual({
      object: 'routing',
      version: 1,
      rules: [{ match: { currencies: ['EUR'], card_brands: ['visa'], min_amount: 1, max_amount: 99.5 }, accounts: [a, b] }],
      max_attempts: 2,
      created_at: expect.any(String),
    });
    const second = { rules: [{ accounts: [b], split: [{ gateway_account: b, weight: 100 }] }] };
    expect((await putRouting(merchant, second)).body).toMatchObject({ version: 2, max_attempts: 3 });
    // The first request again under its key: its own version, not a third.
    const retried = await putRouting(merchant, first, { 'idempotency-key': 'routing-1' });
    expect(retried.body).toEqual(stored.body);
    expect((await putRouting(merchant, second, { 'idempotency-key': 'routing-1' })).status).toBe(422);
    const got = await stack.request('GET', '/v1/routing', { apiKey: merchant.apiKey });
    expect(got.body).toMatchObject({ version: 2, rules: [{ accounts: [b], split: [{ gateway_account: b, weight: 100 }] }] });
  });

  it('when a rule names a wrong account, a duplicate, a split outside its accounts or nothing, then 400 names the field and nothing is stored', async () => {
    const merchant = await stack.createMerchant();
    const [a, b] = [await sandboxAccount(merchant), await sandboxAccount(merchant)];
    const othersAccount = await sandboxAccount(someoneElse);
    const refusals: [unknown, { code: string; param: string }][] = [
      [{ rules: [{ accounts: [a] }, { accounts: [b, 'gwa_doesNotExist'] }] }, { code: 'resource_missing', param: 'rules[1][accounts][1]' }],
      [{ rules: [{ accounts: [othersAccount] }] }, { code: 'resource_missing', param: 'rules[0][accounts][0]' }],
      [{ rules: [{ accounts: [a, a] }] }, { code: 'parameter_invalid', param: 'rules[0][accounts][1]' }],
      [
        { rules: [{ accounts: [a], split: [{ gateway_account: b, weight: 10 }] }] },
        { code: 'parameter_invalid', param: 'rules[0][split][0][gateway_account]' },
      ],
      [
        {
          rules: [
            {
              accounts: [a, b],
              split: [
                { gateway_account: a, weight: 10 },
                { gateway_account: a, weight: 20 },
              ],
            },
          ],
        },
        { code: 'parameter_invalid', param: 'rules[0][split][1][gateway_account]' },
      ],
      [
        { rules: [{ accounts: [a], split: [{ gateway_account: a, weight: 101 }] }] },
        { code: 'parameter_invalid', param: 'rules[0][split][0][weight]' },
      ],
      [{ rules: [{ accounts: [] }] }, { code: 'parameter_invalid', param: 'rules[0][accounts]' }],
      [
        { rules: [{ match: { card_brands: ['visa', 'elo'] }, accounts: [a] }] },
        { code: 'parameter_invalid', param: 'rules[0][match][card_brands][1]' },
      ],
      [
        { rules: [{ match: { min_amount: 10, max_amount: 5 }, accounts: [a] }] },
        { code: 'parameter_invalid', param: 'rules[0][match][max_amount]' },
      ],
      [
        { rules: [], max_attempts: 6 },
        { code: 'parameter_invalid', param: 'max_attempts' },
      ],
      [{ max_attempts: 2 }, { code: 'parameter_missing', param: 'rules' }],
    ];
    for (const [body, expected] of refusals) {
      const response = await putRouting(merchant, body);
      expect({ status: response.status, code: response.body.code, param: response.body.param }, JSON.stringify(body)).toEqual({
        status: 400,
        ...expected,
      });
    }
    expect((await stack.request('GET', '/v1/routing', { apiKey: merchant.apiKey })).body.version).toBe(0);
    // A disabled account may be named: it is skipped while disabled.
    await stack.request('DELETE', `/v1/gateway_accounts/${b}`, { apiKey: merchant.apiKey });
    expect(await routed(merchant, { rules: [{ accounts: [b, a] }] })).toBe(1);
  });
});

describe('routing new payments by the rules', () => {
  it('when rules match by currency, card brand and amount, then the first fitting rule decides, and the payment shows the decision', async () => {
    const merchant = await stack.createMerchant();
    const first = await sandboxAccount(merchant, { priority: 1 });
    const euro = await sandboxAccount(merchant, { priority: 2 });
    const amex = await sandboxAccount(merchant, { priority: 3 });
    const big = await sandboxAccount(merchant, { priority: 4 });
    const version = await routed(merchant, {
      rules: [
        { match: { currencies: ['EUR'] }, accounts: [euro] },
        { match: { card_brands: ['amex'] }, accounts: [amex] },
        { match: { min_amount: 500 }, accounts: [big, first] },
      ],
    });
    const pay = (fields: { amount: number; currency?: string; source?: string }) =>
      createPayment(stack, merchant, { ...fields, expectStatus: 'succeeded' });

    const inEuro = await pay({ amount: 10, currency: 'EUR', source: 'tok_amex' });
    expect(inEuro).toMatchObject({ gateway_account: euro, routing: { routing_version: version, rule: 0, chosen: euro, eligible: [euro] } });
    expect((await pay({ amount: 10, source: 'tok_amex' })).routing).toMatchObject({ rule: 1, chosen: amex });
    // A vault card's brand is the one stored when it was tokenized.
    const token = await stack.request('POST', '/v1/tokens', {
      apiKey: merchant.apiKey,
      body: { card: { number: '378282246310005', exp_month: 12, exp_year: 2040, cvc: '1234' } },
    });
    expect(token.status, JSON.stringify(token.body)).toBe(201);
    expect((await pay({ amount: 10, source: token.body.id })).routing).toMatchObject({ rule: 1, chosen: amex });
    const large = await pay({ amount: 500, source: 'tok_visa' });
    expect(large).toMatchObject({ gateway_account: big, routing: { rule: 2, eligible: [big, first], split_draw: null, skipped: [] } });
    // No rule fits: every eligible account by priority, as before rules existed.
    const small = await pay({ amount: 499.99, source: 'tok_mastercard' });
    expect(small).toMatchObject({ gateway_account: first, routing: { rule: null, eligible: [first, euro, amex, big], chosen: first } });
    // A named account overrides the rules, and the payment carries no routing decision.
    const named = await createPayment(stack, merchant, { amount: 10, currency: 'EUR', gateway_account: amex, expectStatus: 'succeeded' });
    expect(named).toMatchObject({ gateway_account: amex, routing: null });
  });

  it("when a rule's account is disabled, then it is skipped and the decision says so", async () => {
    const merchant = await stack.createMerchant();
    const [a, b] = [await sandboxAccount(merchant), await sandboxAccount(merchant)];
    await routed(merchant, { rules: [{ accounts: [a, b] }] });
    await stack.request('DELETE', `/v1/gateway_accounts/${a}`, { apiKey: merchant.apiKey });
    const payment = await createPayment(stack, merchant, { amount: 3, expectStatus: 'succeeded' });
    expect(payment).toMatchObject({
      gateway_account: b,
      routing: { eligible: [b], skipped: [{ gateway_account: a, reason: 'disabled' }] },
    });
  });

  it('when a rule splits volume, then each payment records its draw and goes first to the account the draw picked', async () => {
    const merchant = await stack.createMerchant();
    const [a, b] = [await sandboxAccount(merchant), await sandboxAccount(merchant)];
    await routed(merchant, {
      rules: [
        {
          accounts: [a, b],
          split: [
            { gateway_account: a, weight: 50 },
            { gateway_account: b, weight: 50 },
          ],
        },
      ],
    });
    for (let i = 0; i < 8; i++) {
      const payment = await createPayment(stack, merchant, { amount: 1 + i, expectStatus: 'succeeded' });
      const draw = payment.routing?.split_draw as number;
      expect(draw).toBeGreaterThanOrEqual(0);
      expect(draw).toBeLessThan(1);
      const expected = draw < 0.5 ? a : b;
      expect(payment).toMatchObject({
        gateway_account: expected,
        routing: { chosen: expected, eligible: [expected, expected === a ? b : a] },
      });
    }
  });

  it('when the routing changes while a payment is running, then the payment keeps its route: captured at its account, its decision unchanged', async () => {
    const merchant = await stack.createMerchant();
    const [a, b] = [await sandboxAccount(merchant), await sandboxAccount(merchant)];
    const before = await routed(merchant, { rules: [{ accounts: [a, b] }] });
    const held = await createPayment(stack, merchant, { amount: 40, capture: false, expectStatus: 'requires_capture' });
    expect(held).toMatchObject({ gateway_account: a, routing: { routing_version: before, eligible: [a, b] } });

    const after = await routed(merchant, { rules: [{ accounts: [b] }], max_attempts: 1 });
    const captured = await capturePayment(stack, merchant, held.id);
    expect(captured).toMatchObject({ status: 'succeeded', gateway_account: a, routing: { routing_version: before, chosen: a } });
    // The workflow's own state (from its input) holds the decision, so a replay routes nothing again.
    const state = await stack.client.workflow.getHandle(paymentWorkflowId(held.id)).query(getPaymentStateQuery);
    expect(state.routing).toMatchObject({ routingVersion: before, chosen: a, eligible: [a, b] });
    const next = await createPayment(stack, merchant, { amount: 41, expectStatus: 'succeeded' });
    expect(next).toMatchObject({ gateway_account: b, routing: { routing_version: after, eligible: [b] } });
  });
});
