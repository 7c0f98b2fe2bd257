import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { periodOf } from '../../src/billing/billing-period';
import { newId } from '../../src/shared/ids';
import { monthlyRecurringMinor } from '../../src/subscription-reports/mrr';
import { SubscriptionCheckService } from '../../src/subscription-reports/subscription-check-service';
import { temporalDescriber } from '../../src/subscription-reports/workflow-describer';
import { subscriptionWorkflowId } from '../../src/subscriptions/subscription-state';
import type { SubscriptionCheckResult } from '../../src/subscription-reports/subscription-check-service';
import { TEST_ADMIN_KEY, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started), { schedules: true });

const DAY = 24 * 3600 * 1000;
const sql = <T = Record<string, any>>(text: string, params: unknown[] = []) => stack.orm.em.getConnection().execute<T[]>(text, params);

/** Rows written as the subscription workflow's activities would have, for a merchant with no workflows at all. */
function fixtures(merchantId: string) {
  const customerId = newId('cus');
  return {
    customerId,
    async customer() {
      await sql(`insert into customers (id, merchant_id, email, default_source) values (?, ?, 'jo@example.com', 'tok_visa')`, [
        customerId,
        merchantId,
      ]);
    },
    async plan(amountMinor: number, currency: string, interval: string, intervalCount = 1): Promise<string> {
      const id = newId('plan');
      await sql(
        `insert into plans (id, merchant_id, name, amount_minor, currency, interval, interval_count) values (?, ?, ?, ?, ?, ?, ?)`,
        [id, merchantId, `${interval} ${amountMinor}`, amountMinor, currency, interval, intervalCount],
      );
      return id;
    },
    async subscription(
      planId: string,
      row: { status: string; created: string; ended?: string; trialEnd?: string; nextBillingAt?: string },
    ): Promise<string> {
      const id = newId('sub');
      await sql(
        `insert into subscriptions (id, merchant_id, customer_id, plan_id, status, billing_anchor, created_at, ended_at, trial_end, next_billing_at)
                 values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          id,
          merchantId,
          customerId,
          planId,
          row.status,
          row.trialEnd ?? row.created,
          row.created,
          row.ended ?? null,
          row.trialEnd ?? null,
          row.nextBillingAt ?? null,
        ],
      );
      return id;
    },
    /** A `customer.subscription.*` event recording the status the subscription had from `at`. */
    async subscriptionEvent(subscriptionId: string, type: string, status: string, at: string): Promise<void> {
      await sql(
        `insert into events (id, merchant_id, type, idempotency_key, object_type, object_id, data, created_at) values (?, ?, ?, ?, 'subscription', ?, ?, ?)`,
        [
          newId('evt'),
          merchantId,
          `customer.subscription.${type}`,
          newId('idk'),
          subscriptionId,
          JSON.stringify({ object: { id: subscriptionId, status } }),
          at,
        ],
      );
    },
    async invoiceFailedEvent(invoiceId: string, at: string): Promise<void> {
      await sql(
        `insert into events (id, merchant_id, type, idempotency_key, object_type, object_id, data, created_at) values (?, ?, 'invoice.payment_failed', ?, 'invoice', ?, ?, ?)`,
        [newId('evt'), merchantId, newId('idk'), invoiceId, JSON.stringify({ object: { id: invoiceId } }), at],
      );
    },
    async invoice(
      subscriptionId: string,
      row: {
        cycle: number;
        status: string;
        currency?: string;
        amountDue: number;
        amountPaid?: number;
        attempts: number;
        created: string;
        paid?: string;
        nextPaymentAttempt?: string;
        updated?: string;
      },
    ): Promise<string> {
      const id = newId('in');
      await sql(
        `insert into invoices (id, merchant_id, subscription_id, customer_id, cycle, status, billing_reason, currency, lines, subtotal_minor, amount_due_minor,
                   amount_paid_minor, attempt_count, next_payment_attempt, period_start, period_end, paid_at, created_at, updated_at)
                 values (?, ?, ?, ?, ?, ?, 'subscription_cycle', ?, '[]', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          id,
          merchantId,
          subscriptionId,
          customerId,
          row.cycle,
          row.status,
          row.currency ?? 'USD',
          row.amountDue,
          row.amountDue,
          row.amountPaid ?? 0,
          row.attempts,
          row.nextPaymentAttempt ?? null,
          row.created,
          row.created,
          row.paid ?? null,
          row.created,
          row.updated ?? row.created,
        ],
      );
      return id;
    },
  };
}

describe('MRR normalisation', () => {
  it('when plans bill by the day, week, month or year, then each is normalised to a month and rounded half to even', () => {
    expect(monthlyRecurringMinor(3_000, 'month', 1)).toBe(3_000);
    expect(monthlyRecurringMinor(9_000, 'month', 3)).toBe(3_000);
    // 100,014 / 12 = 8,334.5: half to even gives 8,334 (half up would give 8,335).
    expect(monthlyRecurringMinor(100_014, 'year', 1)).toBe(8_334);
    expect(monthlyRecurringMinor(100_002, 'year', 1)).toBe(8_334);
    // 1,000 × 52 / 24 = 2,166.67.
    expect(monthlyRecurringMinor(1_000, 'week', 2)).toBe(2_167);
    // 100 × 365 / 12 = 3,041.67.
    expect(monthlyRecurringMinor(100, 'day', 1)).toBe(3_042);
  });
});

describe('monthly subscription report', () => {
  let owner: TestMerchant;

  // October 2026, USD: MRR at the start 173.34 (monthly 30.00 ×3 + yearly 83.34), at the end 165.01.
  beforeAll(async () => {
    owner = await stack.createMerchant('Subscriptions report owner');
    const f = fixtures(owner.id);
    await f.customer();
    const monthly = await f.plan(3_000, 'USD', 'month');
    const yearly = await f.plan(100_014, 'USD', 'year');
    const fortnightly = await f.plan(1_000, 'USD', 'week', 2);
    const daily = await f.plan(100, 'EUR', 'day');

    // Active all along, on the monthly plan; its October invoice fails on the 15th and is paid on the 18th (recovered).
    const steady = await f.subscription(monthly, { status: 'active', created: '2026-08-15T10:00:00Z' });
    await f.subscriptionEvent(steady, 'created', 'incomplete', '2026-08-15T10:00:00Z');
    await f.subscriptionEvent(steady, 'updated', 'active', '2026-08-15T10:00:01Z');
    await f.subscriptionEvent(steady, 'updated', 'past_due', '2026-10-15T00:00:02Z');
    await f.subscriptionEvent(steady, 'updated', 'active', '2026-10-18T00:00:01Z');
    const recovered = await f.invoice(steady, {
      cycle: 2,
      status: 'paid',
      amountDue: 3_000,
      amountPaid: 3_000,
      attempts: 2,
      created: '2026-10-15T00:00:00Z',
      paid: '2026-10-18T00:00:00Z',
    });
    await f.invoiceFailedEvent(recovered, '2026-10-15T00:00:01Z');

    // Yearly, since September: 1,000.14 a year is 83.34 a month. Its invoice was paid in September.
    const yearlySub = await f.subscription(yearly, { status: 'active', created: '2026-09-10T00:00:00Z' });
    await f.subscriptionEvent(yearlySub, 'updated', 'active', '2026-09-10T00:00:01Z');
    await f.invoice(yearlySub, {
      cycle: 0,
      status: 'paid',
      amountDue: 100_014,
      amountPaid: 100_014,
      attempts: 1,
      created: '2026-09-10T00:00:00Z',
      paid: '2026-09-10T00:00:01Z',
    });

    // New in October, every two weeks: 10.00 × 52 / 24 = 21.67 a month. Its second invoice took two attempts and no failure event was recorded.
    const fresh = await f.subscription(fortnightly, { status: 'active', created: '2026-10-05T00:00:00Z' });
    await f.subscriptionEvent(fresh, 'updated', 'active', '2026-10-05T00:00:01Z');
    await f.invoice(fresh, {
      cycle: 0,
      status: 'paid',
      amountDue: 1_000,
      amountPaid: 1_000,
      attempts: 1,
      created: '2026-10-05T00:00:00Z',
      paid: '2026-10-05T00:00:01Z',
    });
    await f.invoice(fresh, {
      cycle: 1,
      status: 'paid',
      amountDue: 1_000,
      amountPaid: 1_000,
      attempts: 2,
      created: '2026-10-19T00:00:00Z',
      paid: '2026-10-21T00:00:00Z',
    });

    // New in October, still in its trial on the 31st: counted as new, with no MRR yet.
    const trialing = await f.subscription(monthly, {
      status: 'trialing',
      created: '2026-10-25T00:00:00Z',
      trialEnd: '2026-11-08T00:00:00Z',
    });
    await f.subscriptionEvent(trialing, 'created', 'trialing', '2026-10-25T00:00:01Z');

    // Trial from September to October 9: its end records no subscription event, yet it is billing at the end of October.
    const converted = await f.subscription(monthly, {
      status: 'active',
      created: '2026-09-25T00:00:00Z',
      trialEnd: '2026-10-09T00:00:00Z',
    });
    await f.subscriptionEvent(converted, 'created', 'trialing', '2026-09-25T00:00:01Z');
    await f.invoice(converted, {
      cycle: 0,
      status: 'paid',
      amountDue: 3_000,
      amountPaid: 3_000,
      attempts: 1,
      created: '2026-10-09T00:00:00Z',
      paid: '2026-10-09T00:00:01Z',
    });

    // Churned on October 20: past due since a September failure, paid on October 2, then canceled.
    const churned = await f.subscription(monthly, { status: 'canceled', created: '2026-07-01T00:00:00Z', ended: '2026-10-20T00:00:00Z' });
    await f.subscriptionEvent(churned, 'updated', 'active', '2026-07-01T00:00:01Z');
    await f.subscriptionEvent(churned, 'updated', 'past_due', '2026-09-01T00:00:02Z');
    await f.subscriptionEvent(churned, 'updated', 'active', '2026-10-02T00:00:01Z');
    await f.subscriptionEvent(churned, 'deleted', 'canceled', '2026-10-20T00:00:01Z');
    const lateInvoice = await f.invoice(churned, {
      cycle: 3,
      status: 'paid',
      amountDue: 3_000,
      amountPaid: 3_000,
      attempts: 3,
      created: '2026-09-01T00:00:00Z',
      paid: '2026-10-02T00:00:00Z',
    });
    await f.invoiceFailedEvent(lateInvoice, '2026-09-01T00:00:01Z');

    // Its October invoice failed four times and is uncollectible: the subscription is unpaid, out of MRR but not churned.
    const unpaid = await f.subscription(monthly, { status: 'unpaid', created: '2026-05-01T00:00:00Z' });
    await f.subscriptionEvent(unpaid, 'updated', 'active', '2026-05-01T00:00:01Z');
    await f.subscriptionEvent(unpaid, 'updated', 'past_due', '2026-10-01T00:05:00Z');
    await f.subscriptionEvent(unpaid, 'updated', 'unpaid', '2026-10-08T00:05:01Z');
    const uncollectible = await f.invoice(unpaid, {
      cycle: 5,
      status: 'uncollectible',
      amountDue: 3_000,
      attempts: 4,
      created: '2026-10-01T00:05:00Z',
    });
    for (const at of ['2026-10-01T00:05:00Z', '2026-10-04T00:05:00Z', '2026-10-06T00:05:00Z', '2026-10-08T00:05:00Z'])
      await f.invoiceFailedEvent(uncollectible, at);

    // Ended in September: in no October figure.
    const gone = await f.subscription(monthly, { status: 'canceled', created: '2026-06-01T00:00:00Z', ended: '2026-09-15T00:00:00Z' });
    await f.subscriptionEvent(gone, 'updated', 'active', '2026-06-01T00:00:01Z');
    await f.subscriptionEvent(gone, 'deleted', 'canceled', '2026-09-15T00:00:01Z');

    // EUR, daily at 1.00: 1.00 × 365 / 12 = 30.42 a month.
    const euro = await f.subscription(daily, { status: 'active', created: '2026-09-20T00:00:00Z' });
    await f.subscriptionEvent(euro, 'updated', 'active', '2026-09-20T00:00:01Z');
  });

  const OCTOBER = [
    {
      currency: 'EUR',
      mrr: 30.42,
      mrr_start: 30.42,
      new: { count: 0, mrr: 0 },
      churned: { count: 0, mrr: 0 },
      net_mrr_change: 0,
      invoices_paid: { count: 0, amount: 0 },
      failed_payments: { count: 0, amount: 0 },
      recovered: { count: 0, amount: 0, rate: null },
    },
    {
      currency: 'USD',
      // steady 30.00 + yearly 83.34 + churned 30.00 (past due) + unpaid 30.00 (active until 00:05 on the 1st).
      mrr_start: 173.34,
      // steady 30.00 + yearly 83.34 + fortnightly 21.67 + converted trial 30.00.
      mrr: 165.01,
      new: { count: 2, mrr: 21.67 },
      churned: { count: 1, mrr: 30 },
      net_mrr_change: -8.33,
      // recovered 30.00 + fortnightly 10.00 × 2 + converted 30.00 + the September invoice paid late 30.00.
      invoices_paid: { count: 5, amount: 110 },
      // recovered 30.00 + uncollectible 30.00 + the fortnightly second invoice 10.00 (two attempts, no event).
      failed_payments: { count: 3, amount: 70 },
      recovered: { count: 2, amount: 40, rate: 0.6667 },
    },
  ];

  it('when October is asked for before any run stored it, then it is computed to the minor unit and not stored', async () => {
    const response = await stack.request('GET', '/v1/reports/subscriptions?month=2026-10', { apiKey: owner.apiKey });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      object: 'subscription_report',
      month: '2026-10',
      as_of: '2026-11-01T00:00:00Z',
      stored: false,
      currencies: OCTOBER,
    });
    expect(await sql(`select * from subscription_revenue_reports where merchant_id = ?`, [owner.id])).toEqual([]);
  });

  it("when September is asked for, then its end is October's start", async () => {
    const response = await stack.request('GET', '/v1/reports/subscriptions?month=2026-09', { apiKey: owner.apiKey });
    const usd = response.body.currencies.find((row: any) => row.currency === 'USD');
    expect(usd).toMatchObject({
      mrr_start: 120,
      mrr: 173.34,
      new: { count: 2, mrr: 83.34 },
      churned: { count: 1, mrr: 30 },
      failed_payments: { count: 1, amount: 30 },
      recovered: { count: 0 },
    });
  });

  it('when the monthly workflow runs for October, then it stores the same figures and the report is read from them', async () => {
    const result = await stack.client.workflow.execute('monthlySubscriptionRevenueWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: `subscription-revenue-${newId('sub')}`,
      args: [{ month: '2026-10', merchantIds: [owner.id], batchSize: 1 }],
    });
    expect(result).toMatchObject({ month: '2026-10', merchantsScanned: 1, reportsStored: 2 });
    const rows = await sql(
      `select currency, mrr_minor, mrr_start_minor, recovered_minor from subscription_revenue_reports where merchant_id = ? and month = '2026-10' order by currency`,
      [owner.id],
    );
    expect(rows.map((row) => [row.currency, Number(row.mrr_minor), Number(row.mrr_start_minor), Number(row.recovered_minor)])).toEqual([
      ['EUR', 3_042, 3_042, 0],
      ['USD', 16_501, 17_334, 4_000],
    ]);

    // A stored figure is what the report answers from: changed in the table, it shows.
    await sql(
      `update subscription_revenue_reports set mrr_minor = mrr_minor + 1 where merchant_id = ? and month = '2026-10' and currency = 'EUR'`,
      [owner.id],
    );
    const stored = await stack.request('GET', '/v1/reports/subscriptions?month=2026-10', { apiKey: owner.apiKey });
    expect(stored.body).toMatchObject({ stored: true, as_of: '2026-11-01T00:00:00Z' });
    expect(stored.body.currencies).toEqual([{ ...OCTOBER[0], mrr: 30.43, net_mrr_change: 0.01 }, OCTOBER[1]]);

    // A second run replaces the rows: retries and re-runs store one report per currency.
    await stack.client.workflow.execute('monthlySubscriptionRevenueWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: `subscription-revenue-${newId('sub')}`,
      args: [{ month: '2026-10', merchantIds: [owner.id] }],
    });
    const again = await stack.request('GET', '/v1/reports/subscriptions?month=2026-10', { apiKey: owner.apiKey });
    expect(again.body).toEqual({
      object: 'subscription_report',
      month: '2026-10',
      as_of: '2026-11-01T00:00:00Z',
      stored: true,
      currencies: OCTOBER,
    });
  });

  it('when the monthly workflow is asked for a month that has not ended, then it fails without retrying', async () => {
    const failure = await stack.client.workflow
      .execute('monthlySubscriptionRevenueWorkflow', {
        taskQueue: stack.taskQueue,
        workflowId: `subscription-revenue-${newId('sub')}`,
        args: [{ month: periodOf(new Date()), merchantIds: [owner.id] }],
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause?.cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('SubscriptionReportMonthNotEnded');
  });

  it('when the current month is asked for, then it is computed as of now and not stored', async () => {
    const before = Date.now();
    const response = await stack.request('GET', `/v1/reports/subscriptions?month=${periodOf(new Date())}`, { apiKey: owner.apiKey });
    expect(response.status).toBe(200);
    expect(response.body.stored).toBe(false);
    expect(Date.parse(response.body.as_of)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    // Nothing of this merchant's changed since October ended but the trial, which ended on November 8.
    const trialOver = (at: number) => at >= Date.parse('2026-11-08T00:00:00Z');
    const monthStart = Date.parse(`${periodOf(new Date())}-01T00:00:00Z`);
    expect(response.body.currencies.find((row: any) => row.currency === 'USD')).toMatchObject({
      mrr_start: trialOver(monthStart) ? 195.01 : 165.01,
      mrr: trialOver(before) ? 195.01 : 165.01,
      new: { count: 0 },
      invoices_paid: { count: 0 },
    });
  });

  it('when another merchant asks for the same month, then it sees none of it', async () => {
    const response = await stack.request('GET', '/v1/reports/subscriptions?month=2026-10', { apiKey: merchant.apiKey });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ month: '2026-10', currencies: [] });
  });

  it.each([
    ['2026-13', 'parameter_invalid'],
    ['2026-1', 'parameter_invalid'],
    ['October', 'parameter_invalid'],
    ['2999-01', 'date_in_future'],
  ])('when the month is %s, then 400 %s names month', async (month, code) => {
    const response = await stack.request('GET', `/v1/reports/subscriptions?month=${month}`, { apiKey: owner.apiKey });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code, param: 'month' });
  });

  it("when the month is missing or the key is not a merchant's, then 400 or 401", async () => {
    expect((await stack.request('GET', '/v1/reports/subscriptions', { apiKey: owner.apiKey })).body).toMatchObject({
      code: 'parameter_missing',
      param: 'month',
    });
    expect((await stack.request('GET', '/v1/reports/subscriptions?month=2026-10')).status).toBe(401);
  });
});

describe('daily subscription check', () => {
  let watched: TestMerchant;
  const ids: Record<string, string> = {};
  const handles: WorkflowHandle[] = [];
  const noWorkerQueue = `no-worker-${newId('sub')}`;

  beforeAll(async () => {
    watched = await stack.createMerchant('Subscriptions check owner');
    const f = fixtures(watched.id);
    await f.customer();
    const monthly = await f.plan(3_000, 'USD', 'month');
    const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
    const created = iso(-20 * DAY);
    // Live rows and their workflows: none; running (on a queue no worker polls); terminated.
    ids.missing = await f.subscription(monthly, { status: 'active', created, nextBillingAt: iso(10 * DAY) });
    ids.missingAndLate = await f.subscription(monthly, { status: 'past_due', created, nextBillingAt: iso(-2 * DAY) });
    ids.running = await f.subscription(monthly, { status: 'active', created, nextBillingAt: iso(10 * DAY) });
    ids.runningButLate = await f.subscription(monthly, { status: 'active', created, nextBillingAt: iso(-3 * 3600_000) });
    ids.terminated = await f.subscription(monthly, { status: 'active', created, nextBillingAt: iso(10 * DAY) });
    ids.canceled = await f.subscription(monthly, { status: 'canceled', created, ended: iso(-DAY) });
    for (const key of ['running', 'runningButLate', 'terminated']) {
      handles.push(
        await stack.client.workflow.start('subscriptionWorkflow', {
          taskQueue: noWorkerQueue,
          workflowId: subscriptionWorkflowId(ids[key]),
          args: [],
        }),
      );
    }
    await handles[2].terminate('test: a subscription workflow that closed while its row says active');

    // Open invoices: an attempt 3 days overdue; one due tomorrow; one due tomorrow but open for 10 days; none scheduled for 2 days; none scheduled for a minute.
    ids.overdue = await f.invoice(ids.running, {
      cycle: 0,
      status: 'open',
      amountDue: 3_000,
      attempts: 1,
      created: iso(-4 * DAY),
      nextPaymentAttempt: iso(-3 * DAY),
    });
    ids.dueTomorrow = await f.invoice(ids.running, {
      cycle: 1,
      status: 'open',
      amountDue: 3_000,
      attempts: 1,
      created: iso(-2 * DAY),
      nextPaymentAttempt: iso(DAY),
    });
    ids.tooLong = await f.invoice(ids.running, {
      cycle: 2,
      status: 'open',
      amountDue: 3_000,
      attempts: 3,
      created: iso(-10 * DAY),
      nextPaymentAttempt: iso(DAY),
    });
    ids.unscheduled = await f.invoice(ids.missing, {
      cycle: 0,
      status: 'open',
      amountDue: 2_500,
      amountPaid: 0,
      attempts: 4,
      created: iso(-5 * DAY),
      updated: iso(-2 * DAY),
    });
    ids.justUnscheduled = await f.invoice(ids.missing, {
      cycle: 1,
      status: 'open',
      amountDue: 3_000,
      attempts: 4,
      created: iso(-5 * DAY),
      updated: iso(-60_000),
    });
    // Settled ones are never past due.
    await f.invoice(ids.missing, {
      cycle: 2,
      status: 'paid',
      amountDue: 3_000,
      amountPaid: 3_000,
      attempts: 1,
      created: iso(-30 * DAY),
      paid: iso(-30 * DAY),
    });
  });
  afterAll(async () => {
    for (const handle of handles) await handle.terminate('test over').catch(() => undefined);
  });

  const bySubscription = (a: { subscription: string }, b: { subscription: string }) => (a.subscription < b.subscription ? -1 : 1);
  const expectedInvoices = () =>
    [
      { invoice: ids.tooLong, reasons: ['open_past_dunning_horizon'] },
      {
        invoice: ids.unscheduled,
        reasons: ['no_payment_attempt_scheduled'],
        amount_remaining: 25,
        currency: 'USD',
        attempt_count: 4,
        next_payment_attempt: null,
      },
      { invoice: ids.overdue, reasons: ['payment_attempt_overdue'] },
    ].map((finding) => expect.objectContaining({ merchant_id: watched.id, ...finding }));
  const expectedSubscriptions = () =>
    [
      { subscription: ids.missing, reasons: ['workflow_missing'], workflow_status: null },
      { subscription: ids.missingAndLate, reasons: ['workflow_missing', 'billing_overdue'], workflow_status: null, status: 'past_due' },
      { subscription: ids.runningButLate, reasons: ['billing_overdue'], workflow_status: 'RUNNING' },
      {
        subscription: ids.terminated,
        reasons: ['workflow_closed'],
        workflow_status: 'TERMINATED',
        workflow_id: subscriptionWorkflowId(ids.terminated),
      },
    ]
      .sort(bySubscription)
      .map((finding) => expect.objectContaining({ merchant_id: watched.id, ...finding }));

  it('when the service checks the merchant, then it finds exactly the past-due invoices and the missing, closed and late subscriptions', async () => {
    const checks = new SubscriptionCheckService({
      orm: stack.orm,
      describe: temporalDescriber(stack.client),
      describeConcurrency: 2,
      pageSize: 2,
    });
    const runKey = `test:${newId('sub')}`;
    const result = await checks.run({ asOf: new Date(), runKey, merchantIds: [watched.id] });
    expect(result).toMatchObject({
      clean: false,
      summary: {
        invoices_past_due: 3,
        subscriptions_checked: 5,
        subscriptions_stuck: 4,
        workflows_missing: 2,
        workflows_closed: 1,
        billing_overdue: 2,
      },
    });
    const [row] = await sql(`select findings from subscription_check_runs where run_key = ?`, [runKey]);
    expect(row.findings.past_due_invoices).toEqual(expectedInvoices());
    expect(row.findings.stuck_subscriptions.sort(bySubscription)).toEqual(expectedSubscriptions());
    expect(row.findings.truncated).toBe(false);

    // Past the cap, findings are cut but the counts stay complete.
    const capped = new SubscriptionCheckService({ orm: stack.orm, describe: temporalDescriber(stack.client), maxFindings: 1 });
    const cappedKey = `test:${newId('sub')}`;
    expect((await capped.run({ asOf: new Date(), runKey: cappedKey, merchantIds: [watched.id] })).summary).toEqual(result.summary);
    const [cut] = await sql(`select findings from subscription_check_runs where run_key = ?`, [cappedKey]);
    expect([cut.findings.past_due_invoices.length, cut.findings.stuck_subscriptions.length, cut.findings.truncated]).toEqual([1, 1, true]);
  });

  it("when the check workflow runs on the worker, then this merchant's findings are stored, listed to admins and nothing else is", async () => {
    const workflowId = `subscriptions-daily-check-${newId('sub')}`;
    const result: SubscriptionCheckResult = await stack.client.workflow.execute('dailySubscriptionCheckWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId,
      args: [],
    });
    expect(result.clean).toBe(false);
    expect(result.summary.subscriptions_checked).toBeGreaterThanOrEqual(5);

    const listed = await stack.request('GET', '/v1/reports/subscription_checks?limit=100', { apiKey: TEST_ADMIN_KEY });
    expect(listed.status).toBe(200);
    const run = listed.body.data.find((check: any) => check.id === result.id);
    expect(run).toMatchObject({ object: 'subscription_check', clean: false, summary: result.summary });
    expect(run.findings.past_due_invoices.filter((finding: any) => finding.merchant_id === watched.id)).toEqual(expectedInvoices());
    expect(run.findings.stuck_subscriptions.filter((finding: any) => finding.merchant_id === watched.id).sort(bySubscription)).toEqual(
      expectedSubscriptions(),
    );
    const [stored] = await sql(`select run_key, as_of from subscription_check_runs where id = ?`, [result.id]);
    expect(stored.run_key).toMatch(new RegExp(`^${workflowId}:`));
    expect(new Date(stored.as_of).toISOString()).toBe(result.asOf);

    expect((await stack.request('GET', '/v1/reports/subscription_checks', { apiKey: watched.apiKey })).status).toBe(401);
  });

  it('when the schedules are in place, then the daily check fires from its schedule and the monthly run is due on the 1st', async () => {
    const monthly = await stack.client.schedule.getHandle(`${stack.taskQueue}-subscriptions-monthly-revenue`).describe();
    expect(monthly.action).toMatchObject({ workflowType: 'monthlySubscriptionRevenueWorkflow', taskQueue: stack.taskQueue });
    expect(monthly.spec.calendars?.[0]).toMatchObject({
      dayOfMonth: [{ start: 1, end: 1, step: 1 }],
      hour: [{ start: 1, end: 1, step: 1 }],
      minute: [{ start: 30, end: 30, step: 1 }],
    });

    const daily = stack.client.schedule.getHandle(`${stack.taskQueue}-subscriptions-daily-check`);
    expect((await daily.describe()).action).toMatchObject({ workflowType: 'dailySubscriptionCheckWorkflow' });
    await daily.trigger();
    const started = await (async () => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const recent = (await daily.describe()).info.recentActions;
        if (recent.length > 0) return recent[0].action.workflow;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('the schedule started nothing');
    })();
    const result: SubscriptionCheckResult = await stack.client.workflow.getHandle(started.workflowId, started.firstExecutionRunId).result();
    const [stored] = await sql(`select findings from subscription_check_runs where id = ?`, [result.id]);
    expect(stored.findings.stuck_subscriptions.filter((finding: any) => finding.merchant_id === watched.id).sort(bySubscription)).toEqual(
      expectedSubscriptions(),
    );
  });
});
