import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/shared/ids';
import { startTestStack, TEST_ADMIN_KEY, type TestStack } from '../support/test-stack';

let stack: TestStack;

// A low velocity limit so the rule can be reached in a test; the other rules use platform defaults.
beforeAll(async () => { stack = await startTestStack({ env: { FRAUD_VELOCITY_LIMIT: '2', FRAUD_VELOCITY_WINDOW: '1h' } }); });
afterAll(async () => stack?.close());

const pay = (apiKey: string, body: Record<string, unknown>) =>
  stack.request('POST', '/v1/payments', { apiKey, body: { currency: 'USD', source: 'tok_visa', amount: 10, ...body } });

async function gatewayCalls(paymentId: string): Promise<number> {
  const rows = await stack.orm.em.getConnection().execute(`select count(*)::int as n from sandbox_gateway_operations where idempotency_key like ?`, [`${paymentId}:%`]);
  return rows[0].n;
}

describe('fraud rules run before the gateway', () => {
  it("when a payment exceeds the merchant's amount limit, then it is blocked by amount_limit and the card is never charged", async () => {
    const created = await stack.request('POST', '/v1/merchants', { apiKey: TEST_ADMIN_KEY, body: { name: 'Small shop', max_payment_amount_minor: 5_000 } });
    const within = await pay(created.body.api_key, { amount: 50 });
    expect(within.body.status).toBe('succeeded');
    const over = await pay(created.body.api_key, { amount: 50.01 });
    expect(over.body).toMatchObject({ status: 'failed', failure_code: 'fraud_blocked' });
    expect(over.body.failure_message).toContain('amount_limit');
    expect(await gatewayCalls(over.body.id)).toBe(0);
  });

  it('when the source is on the blocklist, then the payment is blocked by blocklist', async () => {
    const merchant = await stack.createMerchant();
    await stack.orm.em.getConnection().execute(
      `insert into fraud_blocklist (id, merchant_id, kind, value, reason) values (?, ?, 'source', 'tok_mastercard', 'chargebacks')`, [newId('key'), merchant.id]);
    const blocked = await pay(merchant.apiKey, { source: 'tok_mastercard' });
    expect(blocked.body).toMatchObject({ status: 'failed', failure_code: 'fraud_blocked' });
    expect(blocked.body.failure_message).toContain('blocklist');
    const other = await stack.createMerchant();
    expect((await pay(other.apiKey, { source: 'tok_mastercard' })).body.status).toBe('succeeded');
  });

  it('when one source pays more often than the velocity limit, then the next payment is blocked by velocity', async () => {
    const merchant = await stack.createMerchant();
    expect((await pay(merchant.apiKey, { source: 'tok_amex' })).body.status).toBe('succeeded');
    expect((await pay(merchant.apiKey, { source: 'tok_amex' })).body.status).toBe('succeeded');
    const third = await pay(merchant.apiKey, { source: 'tok_amex' });
    expect(third.body).toMatchObject({ status: 'failed', failure_code: 'fraud_blocked' });
    expect(third.body.failure_message).toContain('velocity');
    expect((await pay(merchant.apiKey, { source: 'tok_visa' })).body.status).toBe('succeeded');
  });

  it('when the gateway rates the source highest risk, then it is blocked by highest_risk_level', async () => {
    const merchant = await stack.createMerchant();
    const blocked = await pay(merchant.apiKey, { source: 'tok_risk_highest' });
    expect(blocked.body.failure_message).toContain('highest_risk_level');
  });
});
