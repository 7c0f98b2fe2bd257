import { describe, expect, it } from 'vitest';
import { eventually, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { expectLedgerBalanced } from '../support/ledger';
import { createCustomer, createPlan } from '../support/api-calls';

let stack: TestStack;
let merchant: TestMerchant;
// Subscription time runs 86,400 times faster here: a day lasts a second, dunning retries come after 3, 5 and 7 seconds.
useTestStack((started) => ({ stack, merchant } = started), { env: { SUBSCRIPTION_TIME_SCALE: '86400' } });

const call = (method: string, path: string, body?: unknown, apiKey = merchant.apiKey, headers: Record<string, string> = {}) =>
  stack.request(method, path, { apiKey, body, headers });

/** A customer's id, paying with `source`. */
async function customer(source = 'tok_visa', apiKey = merchant.apiKey): Promise<string> {
  return (await createCustomer(stack, { apiKey }, { email: 'jo@example.com', source })).id;
}

/** A USD plan's id. */
async function plan(amount: number, interval: 'day' | 'week' | 'month', apiKey = merchant.apiKey): Promise<string> {
  return (await createPlan(stack, { apiKey }, { name: `${interval}ly ${amount}`, amount, interval })).id;
}

const invoicesOf = async (subscriptionId: string) =>
  (await call('GET', `/v1/invoices?subscription=${subscriptionId}&limit=100`)).body.data.reverse();
const subscription = async (id: string) => (await call('GET', `/v1/subscriptions/${id}`)).body;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('subscriptions over the API, with subscription time compressed', () => {
  it('when a daily subscription runs, then each period is invoiced and paid through the payment path, until it is canceled', async () => {
    const created = await call('POST', '/v1/subscriptions', { customer: await customer(), plan: await plan(5, 'day') }, merchant.apiKey, {
      'Idempotency-Key': 'daily-1',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'subscription', status: 'active', cancel_at_period_end: false, currency: 'USD' });
    const again = await call('POST', '/v1/subscriptions', { customer: created.body.customer, plan: created.body.plan }, merchant.apiKey, {
      'Idempotency-Key': 'daily-1',
    });
    expect(again.body.id).toBe(created.body.id);

    const paid = await eventually(async () => {
      const invoices = await invoicesOf(created.body.id);
      return invoices.length >= 3 && invoices[2].status === 'paid' ? invoices : undefined;
    });
    expect(paid.slice(0, 3).map((invoice: any) => [invoice.status, invoice.amount_paid, invoice.billing_reason])).toEqual([
      ['paid', 5, 'subscription_create'],
      ['paid', 5, 'subscription_cycle'],
      ['paid', 5, 'subscription_cycle'],
    ]);
    // Consecutive periods, a day apart in subscription time.
    expect(Date.parse(paid[1].period_start) - Date.parse(paid[0].period_start)).toBe(24 * 3600 * 1000);
    expect(paid[1].period_start).toBe(paid[0].period_end);
    const payment = (await call('GET', `/v1/payments/${paid[1].last_payment}`)).body;
    expect(payment).toMatchObject({ status: 'succeeded', amount: 5, metadata: { invoice: paid[1].id, subscription: created.body.id } });
    const charge = (await call('GET', `/v1/balance_transactions?source=${payment.id}`)).body.data;
    // 2.9 % of 5.00 is 0.145, rounded half to even to 0.14, plus 0.30.
    expect(charge).toMatchObject([{ type: 'charge', amount: 5, fee: 0.44 }]);

    const canceled = await call('POST', `/v1/subscriptions/${created.body.id}/cancel`, {});
    expect(canceled.body).toMatchObject({ status: 'canceled' });
    const count = (await invoicesOf(created.body.id)).length;
    await sleep(2_500);
    expect((await invoicesOf(created.body.id)).length).toBe(count);
    const paidCount = (await invoicesOf(created.body.id)).filter((invoice: any) => invoice.status === 'paid').length;
    const [{ n }] = await stack.orm.em
      .getConnection()
      .execute(`select count(*)::int as n from payments where metadata->>'subscription' = ? and status = 'succeeded'`, [created.body.id]);
    expect(n).toBe(paidCount);
    const types = (await call('GET', '/v1/events?limit=100')).body.data.map((event: any) => event.type);
    expect(types).toEqual(
      expect.arrayContaining(['customer.subscription.created', 'invoice.created', 'invoice.paid', 'customer.subscription.deleted']),
    );
    await expectLedgerBalanced(stack.orm);
  }, 30_000);

  it('when a trial is given, then it is trialing with no invoice, and the first charge comes when the trial ends', async () => {
    const created = await call('POST', '/v1/subscriptions', {
      customer: await customer(),
      plan: await plan(20, 'week'),
      trial_period_days: 2,
    });
    expect(created.body).toMatchObject({ status: 'trialing', latest_invoice: null });
    expect(Date.parse(created.body.trial_end) - Date.parse(created.body.trial_start)).toBe(2 * 24 * 3600 * 1000);
    const [first] = await eventually(async () => {
      const invoices = await invoicesOf(created.body.id);
      return invoices[0]?.status === 'paid' ? invoices : undefined;
    });
    expect(first).toMatchObject({ amount_paid: 20, period_start: created.body.trial_end });
    expect(await subscription(created.body.id)).toMatchObject({ status: 'active', current_period_start: created.body.trial_end });
    await call('POST', `/v1/subscriptions/${created.body.id}/cancel`, {});
  }, 30_000);

  it('when a renewal fails, then the subscription is past due with the invoice open, and a new card pays it at once', async () => {
    const customerId = await customer();
    const created = await call('POST', '/v1/subscriptions', { customer: customerId, plan: await plan(3, 'day') });
    expect(created.body.status).toBe('active');
    await call('POST', `/v1/customers/${customerId}/sources`, { source: 'tok_insufficient_funds' });
    const pastDue = await eventually(async () => {
      const current = await subscription(created.body.id);
      return current.status === 'past_due' ? current : undefined;
    });
    const open = (await call('GET', `/v1/invoices/${pastDue.latest_invoice}`)).body;
    expect(open).toMatchObject({ status: 'open', attempt_count: 1, last_failure_code: 'insufficient_funds', amount_remaining: 3 });
    expect(Date.parse(open.next_payment_attempt) - Date.parse(open.period_start)).toBe(3 * 24 * 3600 * 1000);

    await call('POST', `/v1/customers/${customerId}/sources`, { source: 'tok_visa' });
    const paid = await eventually(async () => {
      const invoice = (await call('GET', `/v1/invoices/${open.id}`)).body;
      return invoice.status === 'paid' ? invoice : undefined;
    }, 5_000);
    expect(paid).toMatchObject({ attempt_count: 2, amount_paid: 3, amount_remaining: 0 });
    expect((await subscription(created.body.id)).status).toBe('active');
    await call('POST', `/v1/subscriptions/${created.body.id}/cancel`, {});
  }, 30_000);

  it('when every dunning retry fails, then the first invoice becomes uncollectible and the subscription is canceled', async () => {
    const created = await call('POST', '/v1/subscriptions', {
      customer: await customer('tok_insufficient_funds'),
      plan: await plan(9, 'week'),
    });
    expect(created.body.status).toBe('incomplete');
    const ended = await eventually(async () => {
      const current = await subscription(created.body.id);
      return current.status === 'canceled' ? current : undefined;
    }, 20_000);
    expect(ended.ended_at).not.toBeNull();
    expect((await invoicesOf(created.body.id)).map((invoice: any) => [invoice.status, invoice.attempt_count])).toEqual([
      ['uncollectible', 4],
    ]);
  }, 30_000);

  it('when canceled at period end, then it stays active and ends with its period without another invoice', async () => {
    const created = await call('POST', '/v1/subscriptions', { customer: await customer(), plan: await plan(4, 'day') });
    const marked = await call('POST', `/v1/subscriptions/${created.body.id}/cancel`, { at_period_end: true });
    expect(marked.body).toMatchObject({ status: 'active', cancel_at_period_end: true });
    const ended = await eventually(async () => {
      const current = await subscription(created.body.id);
      return current.status === 'canceled' ? current : undefined;
    });
    expect(ended.ended_at).toBe(created.body.current_period_end);
    expect(await invoicesOf(created.body.id)).toHaveLength(1);
  }, 30_000);

  it('when paused and resumed within the paid period, then nothing is invoiced meanwhile and billing carries on', async () => {
    const created = await call('POST', '/v1/subscriptions', { customer: await customer(), plan: await plan(6, 'week') });
    const paused = await call('POST', `/v1/subscriptions/${created.body.id}/pause`, {}, merchant.apiKey, {
      'Idempotency-Key': `pause-${created.body.id}`,
    });
    expect(paused.body).toMatchObject({ status: 'paused', next_billing_at: null });
    // The same keyed request again (a retry after a lost answer) gets the first answer; a new pause is refused.
    const retried = await call('POST', `/v1/subscriptions/${created.body.id}/pause`, {}, merchant.apiKey, {
      'Idempotency-Key': `pause-${created.body.id}`,
    });
    expect([retried.status, retried.body]).toEqual([200, paused.body]);
    expect((await call('POST', `/v1/subscriptions/${created.body.id}/pause`, {})).status).toBe(409);
    await sleep(1_000);
    const resumed = await call('POST', `/v1/subscriptions/${created.body.id}/resume`, {});
    expect(resumed.body).toMatchObject({ status: 'active', next_billing_at: created.body.current_period_end });
    expect(await invoicesOf(created.body.id)).toHaveLength(1);
    await call('POST', `/v1/subscriptions/${created.body.id}/cancel`, {});
  }, 30_000);

  it('when the plan changes mid-period, then the next invoice carries the new plan, a credit for the unused time and a charge for the rest', async () => {
    const created = await call('POST', '/v1/subscriptions', { customer: await customer(), plan: await plan(7, 'week') });
    await sleep(2_000);
    const pro = await plan(14, 'week');
    const changed = await call('PATCH', `/v1/subscriptions/${created.body.id}`, { plan: pro });
    expect(changed.body).toMatchObject({ plan: pro, status: 'active' });
    const [, next] = await eventually(async () => {
      const invoices = await invoicesOf(created.body.id);
      return invoices.length >= 2 && invoices[1].status === 'paid' ? invoices : undefined;
    }, 15_000);
    const [base, credit, charge] = next.lines;
    expect(base).toMatchObject({ type: 'subscription', amount: 14, plan: pro });
    expect(credit).toMatchObject({ type: 'proration', plan: created.body.plan });
    expect(charge).toMatchObject({ type: 'proration', plan: pro });
    // The change happened at least two subscription days (the 2 s sleep) into the week, so at most 5 of 7
    // days were left. How much was left comes from the lines' own period, not the wall clock: on a
    // busy machine the PATCH may land a day or two later in subscription time.
    const week = 7 * 24 * 3600 * 1000;
    expect(credit.period.end).toBe(created.body.current_period_end);
    expect(charge.period).toEqual(credit.period);
    const remaining = Date.parse(credit.period.end) - Date.parse(credit.period.start);
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(5 * 24 * 3600 * 1000 + 1000);
    // Timestamps are shown to the second, so each amount may be one minor unit off the exact share.
    expect(Math.abs(Math.round(credit.amount * 100) + Math.round((700 * remaining) / week))).toBeLessThanOrEqual(1);
    expect(Math.abs(Math.round(charge.amount * 100) - Math.round((1400 * remaining) / week))).toBeLessThanOrEqual(1);
    // Each is rounded half to even on its own, so in minor units they may differ from exactly double by one.
    expect(Math.abs(Math.round(charge.amount * 100) + 2 * Math.round(credit.amount * 100))).toBeLessThanOrEqual(1);
    expect(next.subtotal).toBeCloseTo(14 + credit.amount + charge.amount, 2);
    expect(next.amount_paid).toBe(next.subtotal);
    await call('POST', `/v1/subscriptions/${created.body.id}/cancel`, {});
  }, 30_000);

  it('when the input is wrong or the state does not allow it, then a 4xx names the field or the status', async () => {
    const other = await stack.createMerchant('Other subscriber');
    const otherPlan = await plan(5, 'month', other.apiKey);
    const customerId = await customer();
    expect((await call('POST', '/v1/subscriptions', { customer: 'cus_nope', plan: otherPlan })).body).toMatchObject({ param: 'customer' });
    expect((await call('POST', '/v1/subscriptions', { customer: customerId, plan: otherPlan })).body).toMatchObject({
      code: 'resource_missing',
      param: 'plan',
    });
    expect((await call('POST', '/v1/subscriptions', { customer: customerId })).body).toMatchObject({ param: 'plan' });
    expect((await call('POST', '/v1/subscriptions', { customer: customerId, plan: otherPlan, trial_period_days: -1 })).body).toMatchObject({
      param: 'trial_period_days',
    });

    const created = await call('POST', '/v1/subscriptions', { customer: customerId, plan: await plan(5, 'month') });
    expect((await call('GET', `/v1/subscriptions/${created.body.id}`, undefined, other.apiKey)).status).toBe(404);
    expect((await call('POST', `/v1/subscriptions/${created.body.id}/cancel`, {}, other.apiKey)).status).toBe(404);
    const weekly = await plan(5, 'week');
    expect((await call('PATCH', `/v1/subscriptions/${created.body.id}`, { plan: weekly })).body).toMatchObject({
      param: 'plan',
      code: 'parameter_invalid',
    });
    expect((await call('PATCH', `/v1/subscriptions/${created.body.id}`, {})).status).toBe(400);
    expect((await call('POST', `/v1/subscriptions/${created.body.id}/resume`, {})).status).toBe(409);
    await call('POST', `/v1/subscriptions/${created.body.id}/cancel`, {});
    const again = await call('POST', `/v1/subscriptions/${created.body.id}/cancel`, {});
    expect(again).toMatchObject({ status: 409, body: { code: 'subscription_canceled' } });
    const listed = await call('GET', `/v1/subscriptions?customer=${customerId}&status=canceled`);
    expect(listed.body.data.map((row: any) => row.id)).toEqual([created.body.id]);
  }, 30_000);
});
