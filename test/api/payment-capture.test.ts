import { describe, expect, it } from 'vitest';
import { useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { createPayment } from '../support/api-calls';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started));

/** An authorization of 80.00 to capture or cancel. */
const AUTHORIZATION = { amount: '80.00', capture: false } as const;

async function ledgerPostings(paymentId: string): Promise<{ account: string; amount_minor: string }[]> {
  return stack.orm.em.getConnection().execute(
    `select p.account, p.amount_minor from ledger_postings p join ledger_entries e on e.id = p.entry_id
      where e.source_id = ? order by p.amount_minor`,
    [paymentId],
  );
}

describe('authorize, then capture or cancel', () => {
  it('when capture is false, then the payment waits in requires_capture with the amount held', async () => {
    const response = await createPayment(stack, merchant, { ...AUTHORIZATION, raw: true });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      status: 'requires_capture',
      capture_method: 'manual',
      amount_capturable: 80,
      amount_received: 0,
    });
    expect(Date.parse(response.body.authorization_expires_at) - Date.parse(response.body.created_at)).toBe(7 * 24 * 3600 * 1000);
    expect(await ledgerPostings(response.body.id)).toEqual([]);
  });

  it('when the merchant captures in full, then the payment succeeds and the ledger holds gross, fee and net', async () => {
    const payment = await createPayment(stack, merchant, AUTHORIZATION);
    const captured = await stack.request('POST', `/v1/payments/${payment.id}/capture`, { apiKey: merchant.apiKey, body: {} });
    expect(captured.status).toBe(200);
    expect(captured.body).toMatchObject({ status: 'succeeded', amount_received: 80, amount_capturable: 0, fee: 2.62 });
    // 2.9% of 80.00 = 2.32, plus 0.30.
    expect(await ledgerPostings(payment.id)).toEqual([
      { account: 'platform:gateway_clearing:sandbox', amount_minor: '-8000' },
      { account: `merchant:${merchant.id}:pending`, amount_minor: '-262' },
      { account: `merchant:${merchant.id}:fees_payable`, amount_minor: '262' },
      { account: `merchant:${merchant.id}:pending`, amount_minor: '8000' },
    ]);
    const stored = await stack.request('GET', `/v1/payments/${payment.id}`, { apiKey: merchant.apiKey });
    expect(stored.body.status).toBe('succeeded');
  });

  it('when the merchant captures part, then only that part is received and a second capture is refused', async () => {
    const payment = await createPayment(stack, merchant, AUTHORIZATION);
    const captured = await stack.request('POST', `/v1/payments/${payment.id}/capture`, { apiKey: merchant.apiKey, body: { amount: 25.5 } });
    expect(captured.body).toMatchObject({ status: 'succeeded', amount: 80, amount_received: 25.5, amount_capturable: 0 });
    const again = await stack.request('POST', `/v1/payments/${payment.id}/capture`, { apiKey: merchant.apiKey, body: {} });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'payment_unexpected_state', status: 'succeeded' });
    const operations = await stack.orm.em
      .getConnection()
      .execute(`select operation, amount_minor from sandbox_gateway_operations where idempotency_key like ? order by created_at`, [
        `${payment.id}:%`,
      ]);
    expect(operations).toEqual([
      { operation: 'authorize', amount_minor: '8000' },
      { operation: 'capture', amount_minor: '2550' },
    ]);
  });

  it('when the capture amount exceeds the authorization, then 400 names amount and the hold remains', async () => {
    const payment = await createPayment(stack, merchant, AUTHORIZATION);
    const response = await stack.request('POST', `/v1/payments/${payment.id}/capture`, {
      apiKey: merchant.apiKey,
      body: { amount: 80.01 },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'parameter_invalid', param: 'amount' });
    const stored = await stack.request('GET', `/v1/payments/${payment.id}`, { apiKey: merchant.apiKey });
    expect(stored.body.status).toBe('requires_capture');
  });

  it('when the merchant cancels, then the hold is voided, nothing is posted, and capture is refused', async () => {
    const payment = await createPayment(stack, merchant, AUTHORIZATION);
    const canceled = await stack.request('POST', `/v1/payments/${payment.id}/cancel`, {
      apiKey: merchant.apiKey,
      body: { cancellation_reason: 'abandoned' },
    });
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned', amount_capturable: 0 });
    expect(await ledgerPostings(payment.id)).toEqual([]);
    const capture = await stack.request('POST', `/v1/payments/${payment.id}/capture`, { apiKey: merchant.apiKey, body: {} });
    expect(capture.status).toBe(409);
    expect(capture.body.status).toBe('canceled');
  });

  it('when an automatic payment already succeeded, then cancel is refused with 409', async () => {
    const payment = await createPayment(stack, merchant, { amount: 5 });
    const response = await stack.request('POST', `/v1/payments/${payment.id}/cancel`, { apiKey: merchant.apiKey, body: {} });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('payment_unexpected_state');
  });

  it('when events are read, then each state change was recorded once', async () => {
    const payment = await createPayment(stack, merchant, AUTHORIZATION);
    await stack.request('POST', `/v1/payments/${payment.id}/capture`, { apiKey: merchant.apiKey, body: {} });
    const events = await stack.orm.em
      .getConnection()
      .execute(`select type from events where object_id = ? order by created_at`, [payment.id]);
    expect(events).toEqual([{ type: 'payment.requires_capture' }, { type: 'payment.succeeded' }]);
  });
});
