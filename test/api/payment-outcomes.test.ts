import { describe, expect, it } from 'vitest';
import { eventually, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { createPayment } from '../support/api-calls';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started));

const ORDER = { amount: 100.0, description: 'Payment for order #12345' };

async function sandboxOperations(paymentId: string): Promise<{ operation: string; outcome: string; attempts: number }[]> {
  return stack.orm.em
    .getConnection()
    .execute(`select operation, outcome, attempts from sandbox_gateway_operations where idempotency_key like ? order by created_at`, [
      `${paymentId}:%`,
    ]);
}

async function ledgerEntries(paymentId: string): Promise<{ id: string }[]> {
  return stack.orm.em.getConnection().execute(`select id from ledger_entries where source_type = 'payment' and source_id = ?`, [paymentId]);
}

describe('POST /v1/payments with each sandbox token', () => {
  it.each(['tok_visa', 'tok_mastercard', 'tok_amex'])(
    'when the source is %s, then the payment succeeds with one charge and one ledger entry',
    async (source) => {
      const response = await createPayment(stack, merchant, { ...ORDER, source, raw: true });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ amount: 100, currency: 'USD', status: 'succeeded', amount_received: 100, fee: 3.2, source });
      expect(response.body.id).toMatch(/^pay_/);
      expect(response.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(await sandboxOperations(response.body.id)).toEqual([{ operation: 'authorize', outcome: 'captured', attempts: 1 }]);
      expect(await ledgerEntries(response.body.id)).toHaveLength(1);
    },
  );

  it.each([
    ['tok_chargeDeclined', 'card_declined'],
    ['tok_insufficient_funds', 'insufficient_funds'],
    ['tok_expired_card', 'expired_card'],
  ])('when the source is %s, then the payment fails with %s and nothing reaches the ledger', async (source, failureCode) => {
    const response = await createPayment(stack, merchant, { ...ORDER, source, raw: true });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ status: 'failed', failure_code: failureCode, amount_received: 0 });
    expect(response.body.failure_message).toEqual(expect.any(String));
    expect(await ledgerEntries(response.body.id)).toHaveLength(0);
    const stored = await stack.request('GET', `/v1/payments/${response.body.id}`, { apiKey: merchant.apiKey });
    expect(stored.body).toMatchObject({ status: 'failed', failure_code: failureCode });
  });

  it('when the source is tok_risk_highest, then fraud rules block it before the gateway is called', async () => {
    const response = await createPayment(stack, merchant, { ...ORDER, source: 'tok_risk_highest', raw: true });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ status: 'failed', failure_code: 'fraud_blocked' });
    expect(await sandboxOperations(response.body.id)).toEqual([]);
  });

  it('when the gateway times out twice after charging, then the payment succeeds with exactly one charge', async () => {
    const response = await createPayment(stack, merchant, { ...ORDER, source: 'tok_gateway_timeout', raw: true });
    expect(response.status).toBe(201);
    expect(response.body.status).toBe('succeeded');
    const operations = await sandboxOperations(response.body.id);
    expect(operations).toHaveLength(1);
    expect(operations[0]).toMatchObject({ operation: 'authorize', outcome: 'captured', attempts: 3 });
    expect(await ledgerEntries(response.body.id)).toHaveLength(1);
  });

  it('when the source is unknown, then 400 invalid_source and no payment is created', async () => {
    const before = await stack.request('GET', '/v1/payments?limit=100', { apiKey: merchant.apiKey });
    const response = await createPayment(stack, merchant, { ...ORDER, source: 'tok_nonexistent', raw: true });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'Invalid payment source',
      code: 'invalid_source',
      param: 'source',
      request_id: expect.any(String),
    });
    const after = await stack.request('GET', '/v1/payments?limit=100', { apiKey: merchant.apiKey });
    expect(after.body.data).toHaveLength(before.body.data.length);
  });
});

describe('ops can find payments in Temporal by search attributes', () => {
  it("when a merchant's payments settle, then listing by MerchantId and PaymentStatus finds exactly the failed ones", async () => {
    const own = await stack.createMerchant('Searchable');
    const succeeded = (await createPayment(stack, own, { amount: 12, source: 'tok_visa' })).id;
    const failed = (await createPayment(stack, own, { amount: 12, source: 'tok_chargeDeclined' })).id;
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const execution of stack.client.workflow.list({ query: `MerchantId = '${own.id}' AND PaymentStatus = 'failed'` }))
          ids.push(execution.workflowId);
        return ids.length > 0 ? ids : undefined;
      },
      15_000,
      200,
    );
    expect(found).toEqual([`payment-${failed}`]);
    expect(found).not.toContain(`payment-${succeeded}`);
  });
});
