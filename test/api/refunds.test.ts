import { describe, expect, it } from 'vitest';
import { eventually, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { expectLedgerBalanced, merchantBalances, platformTotalsFor } from '../support/ledger';
import { createPayment, createRefund, getPayment } from '../support/api-calls';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started));

async function gatewayRefunds(paymentId: string): Promise<{ outcome: string; amount_minor: string }[]> {
  return stack.orm.em.getConnection().execute(
    `select r.outcome, r.amount_minor from sandbox_gateway_operations r join sandbox_gateway_operations a on a.id = r.authorization_id
      where r.operation = 'refund' and a.idempotency_key = ? order by r.created_at`,
    [`${paymentId}:authorize`],
  );
}

describe('refunds', () => {
  it('when partial refunds add up to the captured amount, then each succeeds, the payment becomes refunded, and one cent more is refused', async () => {
    const own = await stack.createMerchant('Partial refunds');
    const payment = await createPayment(stack, own, { amount: 100 });
    const first = await createRefund(stack, own, payment.id, { amount: 30, reason: 'requested_by_customer', raw: true });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      object: 'refund',
      payment_id: payment.id,
      amount: 30,
      currency: 'USD',
      status: 'succeeded',
      reason: 'requested_by_customer',
    });
    expect(first.body.id).toMatch(/^re_/);
    const afterFirst = (await stack.request('GET', `/v1/payments/${payment.id}`, { apiKey: own.apiKey })).body;
    expect(afterFirst).toMatchObject({ status: 'succeeded', amount_refunded: 30 });

    const rest = await createRefund(stack, own, payment.id, { raw: true });
    expect(rest.body).toMatchObject({ amount: 70, status: 'succeeded' });
    expect((await stack.request('GET', `/v1/payments/${payment.id}`, { apiKey: own.apiKey })).body).toMatchObject({
      status: 'refunded',
      amount_refunded: 100,
    });

    const over = await createRefund(stack, own, payment.id, { amount: 0.01, raw: true });
    expect(over.status).toBe(400);
    expect(over.body).toEqual({
      error: 'Invalid refund amount',
      code: 'amount_too_large',
      param: 'amount',
      request_id: expect.any(String),
    });

    // The merchant got 100.00 - 3.20 fee, then gave back 100.00: the fee is not returned.
    expect(await merchantBalances(stack.orm, own.id)).toEqual({ pending: 9_680, available: -10_000, fees_payable: 320 });
    expect(await platformTotalsFor(stack.orm, own.id)).toMatchObject({ 'platform:gateway_clearing:sandbox': 0 });
    await expectLedgerBalanced(stack.orm);
    expect((await gatewayRefunds(payment.id)).map((r) => Number(r.amount_minor))).toEqual([3_000, 7_000]);
  });

  it('when 10 refunds of one payment arrive at once, then together they never exceed the captured amount', async () => {
    const payment = await createPayment(stack, merchant, { amount: 100 });
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => createRefund(stack, merchant, payment.id, { amount: 15, raw: true })),
    );
    const succeeded = responses.filter((r) => r.status === 201 && r.body.status === 'succeeded');
    const refused = responses.filter((r) => r.status === 400);
    expect(succeeded).toHaveLength(6);
    expect(refused).toHaveLength(4);
    for (const response of refused) expect(response.body.error).toBe('Invalid refund amount');
    expect((await getPayment(stack, merchant, payment.id)).amount_refunded).toBe(90);
    expect(await gatewayRefunds(payment.id)).toHaveLength(6);
    const stored = await stack.orm.em
      .getConnection()
      .execute(`select count(*)::int as n, sum(amount_minor)::int as total from refunds where payment_id = ?`, [payment.id]);
    expect(stored[0]).toEqual({ n: 6, total: 9_000 });
    await expectLedgerBalanced(stack.orm);
  });

  it('when a refund is retried with its Idempotency-Key, then the same refund comes back and the card is refunded once, even after the payment is fully refunded', async () => {
    const payment = await createPayment(stack, merchant, { amount: 40 });
    const first = await createRefund(stack, merchant, payment.id, { idempotencyKey: 'refund-order-9', raw: true });
    const again = await createRefund(stack, merchant, payment.id, { idempotencyKey: 'refund-order-9', raw: true });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await gatewayRefunds(payment.id)).toHaveLength(1);
    const reused = await createRefund(stack, merchant, payment.id, { amount: 1, idempotencyKey: 'refund-order-9', raw: true });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
  });

  it('when the gateway fails the refund, then the refund is failed, nothing is posted, and the money is refundable again', async () => {
    const payment = await createPayment(stack, merchant, { amount: 25, source: 'tok_refund_fails' });
    const failed = await createRefund(stack, merchant, payment.id, { amount: 25, raw: true });
    expect(failed.status).toBe(201);
    expect(failed.body).toMatchObject({ status: 'failed', failure_code: 'refund_failed' });
    expect(await getPayment(stack, merchant, payment.id)).toMatchObject({ status: 'succeeded', amount_refunded: 0 });
    const entries = await stack.orm.em
      .getConnection()
      .execute(`select count(*)::int as n from ledger_entries where source_type = 'refund' and source_id = ?`, [failed.body.id]);
    expect(entries[0].n).toBe(0);
    const retry = await createRefund(stack, merchant, payment.id, { amount: 25, raw: true });
    expect(retry.status).toBe(201);
    expect(retry.body.id).not.toBe(failed.body.id);
    const events = await stack.orm.em.getConnection().execute(`select type from events where object_id = ?`, [failed.body.id]);
    expect(events).toEqual([{ type: 'refund.failed' }]);
    await expectLedgerBalanced(stack.orm);
  });

  it('when the payment is only authorized, then the refund is refused and the merchant is told to cancel', async () => {
    const payment = await createPayment(stack, merchant, { amount: 10, capture: false });
    const response = await createRefund(stack, merchant, payment.id, { raw: true });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'payment_not_captured', param: 'payment_id' });
    expect(response.body.error).toContain('cancel');
  });

  it('when the payment failed, then the refund is refused', async () => {
    const payment = await createPayment(stack, merchant, { amount: 10, source: 'tok_chargeDeclined' });
    const response = await createRefund(stack, merchant, payment.id, { raw: true });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('payment_not_refundable');
  });

  it.each([
    [{ amount: 5 }, 'payment_id', 'parameter_missing'],
    [{ payment_id: 'pay_x', amount: -1 }, 'amount', 'parameter_invalid'],
    [{ payment_id: 'pay_x', reason: 'because' }, 'reason', 'parameter_invalid'],
    [{ payment_id: 'pay_x', refund_application_fee: true }, 'refund_application_fee', 'parameter_unknown'],
  ])('when the body is %j, then 400 names %s', async (body, param, code) => {
    const payment = await createPayment(stack, merchant, { amount: 10 });
    const response = await stack.request('POST', '/v1/refunds', {
      apiKey: merchant.apiKey,
      body: { ...body, ...('payment_id' in body ? { payment_id: payment.id } : {}) },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ param, code });
  });

  it("when a merchant refunds or reads another merchant's payment or refund, then 404", async () => {
    const other = await stack.createMerchant('Other');
    const payment = await createPayment(stack, merchant, { amount: 10 });
    const mine = await createRefund(stack, merchant, payment.id, { amount: 1 });
    expect((await createRefund(stack, other, payment.id, { raw: true })).status).toBe(404);
    expect((await stack.request('GET', `/v1/refunds/${mine.id}`, { apiKey: other.apiKey })).status).toBe(404);
    expect((await stack.request('GET', `/v1/refunds?payment_id=${payment.id}`, { apiKey: other.apiKey })).body.data).toEqual([]);
  });

  it('when refunds are listed by payment, then they come newest first, and ops can find them in Temporal', async () => {
    const payment = await createPayment(stack, merchant, { amount: 10 });
    const a = await createRefund(stack, merchant, payment.id, { amount: 1 });
    const b = await createRefund(stack, merchant, payment.id, { amount: 2 });
    const list = await stack.request('GET', `/v1/refunds?payment_id=${payment.id}`, { apiKey: merchant.apiKey });
    expect(list.body.data.map((r: { id: string }) => r.id)).toEqual([b.id, a.id]);
    expect((await stack.request('GET', `/v1/refunds/${a.id}`, { apiKey: merchant.apiKey })).body).toEqual(a);
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const wf of stack.client.workflow.list({ query: `PaymentId = '${payment.id}' AND RefundStatus = 'succeeded'` }))
          ids.push(wf.workflowId);
        return ids.length === 2 ? ids.sort() : undefined;
      },
      15_000,
      200,
    );
    expect(found).toEqual([`refund-${a.id}`, `refund-${b.id}`].sort());
    const state = await stack.client.workflow.getHandle(`refund-${a.id}`).query('getRefundState');
    expect(state).toMatchObject({ status: 'succeeded', amountMinor: 100 });
  });
});
