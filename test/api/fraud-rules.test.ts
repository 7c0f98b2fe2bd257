import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/shared/ids';
import { startTestStack, TEST_ADMIN_KEY, type TestStack } from '../support/test-stack';
import { createPayment } from '../support/api-calls';
import { sandboxOperationCount } from '../support/sandbox-gateway';

let stack: TestStack;

// A low velocity limit so the rule can be reached in a test; the other rules use platform defaults.
beforeAll(async () => {
  stack = await startTestStack({ env: { FRAUD_VELOCITY_LIMIT: '2', FRAUD_VELOCITY_WINDOW: '1h' } });
});
afterAll(async () => stack?.close());

describe('fraud rules run before the gateway', () => {
  it("when a payment exceeds the merchant's amount limit, then it is blocked by amount_limit and the card is never charged", async () => {
    const created = await stack.request('POST', '/v1/merchants', {
      apiKey: TEST_ADMIN_KEY,
      body: { name: 'Small shop', max_payment_amount_minor: 5_000 },
    });
    const small = { apiKey: created.body.api_key };
    const within = await createPayment(stack, small, { amount: 50 });
    expect(within.status).toBe('succeeded');
    const over = await createPayment(stack, small, { amount: 50.01 });
    expect(over).toMatchObject({ status: 'failed', failure_code: 'fraud_blocked' });
    expect(over.failure_message).toContain('amount_limit');
    expect(await sandboxOperationCount(stack.orm, over.id)).toBe(0);
  });

  it('when the source is on the blocklist, then the payment is blocked by blocklist', async () => {
    const merchant = await stack.createMerchant();
    await stack.orm.em
      .getConnection()
      .execute(
        `insert into fraud_blocklist (id, merchant_id, kind, value, reason) values (?, ?, 'source', 'tok_mastercard', 'chargebacks')`,
        [newId('key'), merchant.id],
      );
    const blocked = await createPayment(stack, merchant, { amount: 10, source: 'tok_mastercard' });
    expect(blocked).toMatchObject({ status: 'failed', failure_code: 'fraud_blocked' });
    expect(blocked.failure_message).toContain('blocklist');
    const other = await stack.createMerchant();
    expect((await createPayment(stack, other, { amount: 10, source: 'tok_mastercard' })).status).toBe('succeeded');
  });

  it('when one source pays more often than the velocity limit, then the next payment is blocked by velocity', async () => {
    const merchant = await stack.createMerchant();
    expect((await createPayment(stack, merchant, { amount: 10, source: 'tok_amex' })).status).toBe('succeeded');
    expect((await createPayment(stack, merchant, { amount: 10, source: 'tok_amex' })).status).toBe('succeeded');
    const third = await createPayment(stack, merchant, { amount: 10, source: 'tok_amex' });
    expect(third).toMatchObject({ status: 'failed', failure_code: 'fraud_blocked' });
    expect(third.failure_message).toContain('velocity');
    expect((await createPayment(stack, merchant, { amount: 10, source: 'tok_visa' })).status).toBe('succeeded');
  });

  it('when the gateway rates the source highest risk, then it is blocked by highest_risk_level', async () => {
    const merchant = await stack.createMerchant();
    const blocked = await createPayment(stack, merchant, { amount: 10, source: 'tok_risk_highest' });
    expect(blocked.failure_message).toContain('highest_risk_level');
  });
});
