import { describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { useTimeSkippingEnvironment, type TimeSkippingEnvironment } from '../support/time-skipping';
import type { Orm } from '../../src/db/orm';
import { MerchantService } from '../../src/merchants/merchant-service';
import { newId } from '../../src/shared/ids';
import { createGateways } from '../../src/services';
import { GatewayRegistry, type AuthorizeRequest, type PaymentGateway } from '../../src/gateways/payment-gateway';
import type { PlanTerms, SubscriptionState, SubscriptionWorkflowInput } from '../../src/subscriptions/subscription-state';
import { subscriptionWorkflowId } from '../../src/subscriptions/subscription-state';
import {
  cancelSubscriptionUpdate,
  changePlanUpdate,
  getSubscriptionStateQuery,
  pauseSubscriptionUpdate,
  paymentMethodUpdatedSignal,
  resumeSubscriptionUpdate,
  subscriptionWorkflow,
} from '../../workflows/subscription-workflow';
import { expectLedgerBalanced } from '../support/ledger';

const DAY = 24 * 3600 * 1000;
const FRAUD = { maxAmountMinor: 1e9, velocityLimit: 100_000, velocityWindowMs: 3600_000 };
let env: TestWorkflowEnvironment;
let orm: Orm;
let withWorker: TimeSkippingEnvironment['withWorker'];
let newTaskQueue: TimeSkippingEnvironment['newTaskQueue'];
useTimeSkippingEnvironment((started) => ({ env, orm, withWorker, newTaskQueue } = started), {
  taskQueuePrefix: 'subscriptions',
  activities: { fraudPolicy: FRAUD },
});

const sql = <T = Record<string, any>>(text: string, params: unknown[] = []) => orm.em.getConnection().execute<T[]>(text, params);

interface Fixture {
  merchantId: string;
  customerId: string;
  plans: Record<string, PlanTerms>;
}

/** A merchant, a customer paying with `source`, and plans, written as the API would have. */
async function fixture(
  source = 'tok_visa',
  plans: Record<string, [number, PlanTerms['interval']]> = { basic: [1_000, 'month'] },
): Promise<Fixture> {
  const merchantId = (await new MerchantService(orm).create({ name: 'Subscriptions' })).merchant.id;
  const customerId = newId('cus');
  await sql(`insert into customers (id, merchant_id, email, default_source) values (?, ?, 'jo@example.com', ?)`, [
    customerId,
    merchantId,
    source,
  ]);
  const terms: Record<string, PlanTerms> = {};
  for (const [name, [amountMinor, interval]] of Object.entries(plans)) {
    const planId = newId('plan');
    await sql(
      `insert into plans (id, merchant_id, name, amount_minor, currency, interval, interval_count) values (?, ?, ?, ?, 'USD', ?, 1)`,
      [planId, merchantId, name, amountMinor, interval],
    );
    terms[name] = { planId, name, amountMinor, currency: 'USD', interval, intervalCount: 1 };
  }
  return { merchantId, customerId, plans: terms };
}

/** The workflow's input, with subscription time starting at `startsAt` (a test clock over the time-skipping server's own). */
async function input(f: Fixture, startsAt: string, options: Partial<SubscriptionWorkflowInput> = {}): Promise<SubscriptionWorkflowInput> {
  const realOrigin = await env.currentTimeMs();
  return {
    subscriptionId: newId('sub'),
    merchantId: f.merchantId,
    customerId: f.customerId,
    plan: f.plans.basic ?? Object.values(f.plans)[0],
    createdAt: startsAt,
    trialEnd: null,
    cancelAtPeriodEnd: false,
    metadata: {},
    dunning: { retryOffsetsMs: [3 * DAY, 5 * DAY, 7 * DAY], whenExhausted: 'canceled' },
    fees: { percentBps: 290, fixedMinor: 30 },
    gateway: 'sandbox',
    clock: { scale: 1, realOrigin, virtualOrigin: Date.parse(startsAt) },
    cyclesPerRun: 12,
    ...options,
  };
}

const open = new Set<WorkflowHandle>();

/**
 * Runs `work` with a worker. Whatever it leaves running is terminated after it (unless kept for a
 * next worker): the time-skipping server stops skipping while any workflow has a task no worker takes.
 */
async function run<T>(
  work: (taskQueue: string) => Promise<T>,
  gateways = createGateways(orm),
  taskQueue = newTaskQueue(),
  keepOpen = false,
): Promise<T> {
  try {
    // No sticky cache for a worker that is about to vanish: the time-skipping server does not move a
    // dead worker's sticky tasks back to the shared queue.
    return await withWorker(work, { gateways, taskQueue, worker: keepOpen ? { maxCachedWorkflows: 0 } : {} });
  } finally {
    if (!keepOpen) {
      for (const handle of open) await handle.terminate('test over').catch(() => undefined);
      open.clear();
    }
  }
}

async function start(
  taskQueue: string,
  args: SubscriptionWorkflowInput,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof subscriptionWorkflow>> {
  const handle = await env.client.workflow.start(subscriptionWorkflow, {
    taskQueue,
    workflowId: subscriptionWorkflowId(args.subscriptionId),
    args: [args],
  });
  open.add(handle);
  return handle;
}

/** Lets subscription time pass (the server skips it), then waits for the workflow to settle. */
async function advance(handle: WorkflowHandle, ms: number): Promise<SubscriptionState> {
  await env.sleep(ms);
  return settled(handle);
}

/** Polls until the workflow is waiting on a timer again: no activity or child still running. */
async function settled(handle: WorkflowHandle): Promise<SubscriptionState> {
  let previous = '';
  for (let stable = 0; stable < 3;) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const state = await handle.query(getSubscriptionStateQuery);
    const key = JSON.stringify(state);
    stable = key === previous ? stable + 1 : 0;
    previous = key;
  }
  return handle.query(getSubscriptionStateQuery);
}

async function invoices(subscriptionId: string) {
  return sql(
    `select id, status, billing_reason, amount_due_minor, amount_paid_minor, attempt_count, period_start, period_end, lines, subtotal_minor, credit_applied_minor
                from invoices where subscription_id = ? order by cycle`,
    [subscriptionId],
  );
}

/** Succeeded charges at the sandbox and capture entries in the ledger for the subscription's payments. */
async function charges(subscriptionId: string): Promise<{ sandbox: number; ledger: number; succeeded: number }> {
  const [row] = await sql(
    `select (select count(*) from sandbox_gateway_operations o join payments p on o.idempotency_key = p.id || ':authorize'
              where p.metadata->>'subscription' = ? and o.outcome = 'captured')::int as sandbox,
            (select count(*) from ledger_entries e join payments p on e.source_id = p.id
              where p.metadata->>'subscription' = ? and e.idempotency_key like 'payment:%:capture')::int as ledger,
            (select count(*) from payments p where p.metadata->>'subscription' = ? and p.status = 'succeeded')::int as succeeded`,
    [subscriptionId, subscriptionId, subscriptionId],
  );
  return row as { sandbox: number; ledger: number; succeeded: number };
}

/** Polls the workflow's state until `check` holds (for waits on real-time activity retries, which no timer skipping shortens). */
async function until(handle: WorkflowHandle, check: (state: SubscriptionState) => boolean, timeoutMs = 20_000): Promise<SubscriptionState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await handle.query(getSubscriptionStateQuery);
    if (check(state) || Date.now() > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const day = (iso: string | Date) => new Date(iso).toISOString().slice(0, 10);

describe('subscription billing over time (time-skipping)', () => {
  it('when a monthly subscription runs for a year, then it is billed 13 times, once per period, across continue-as-new runs', async () => {
    const f = await fixture();
    const args = await input(f, '2027-01-15T09:00:00.000Z', { cyclesPerRun: 4 });
    await run(async (taskQueue) => {
      const handle = await start(taskQueue, args);
      await settled(handle);
      const state = await advance(handle, 365 * DAY);
      expect(state).toMatchObject({
        status: 'active',
        invoicesIssued: 13,
        currentPeriodStart: '2028-01-15T09:00:00.000Z',
        currentPeriodEnd: '2028-02-15T09:00:00.000Z',
      });
      const rows = await invoices(args.subscriptionId);
      expect(rows.map((row) => [row.status, Number(row.amount_paid_minor), day(row.period_start)])).toEqual(
        Array.from({ length: 13 }, (_, index) => ['paid', 1_000, day(new Date(Date.UTC(2027, index, 15)))]),
      );
      expect(await charges(args.subscriptionId)).toEqual({ sandbox: 13, ledger: 13, succeeded: 13 });
      // Bounded history: the year ran over several runs of the same workflow.
      const latest = await env.client.workflow.getHandle(handle.workflowId).describe();
      expect(latest.runId).not.toBe(handle.firstExecutionRunId);
      const history = await env.client.workflow.getHandle(handle.workflowId).fetchHistory();
      expect(history.events?.length).toBeLessThan(400);
      const events = await sql(`select type from events where object_id = ? order by created_at`, [args.subscriptionId]);
      expect(events.map((event) => event.type)).toEqual(['customer.subscription.created', 'customer.subscription.updated']);
      await handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ atPeriodEnd: false }] });
    });
    await expectLedgerBalanced(orm);
  }, 120_000);

  it('when the anchor is the 31st, then periods end on the last day of shorter months and come back to the 31st', async () => {
    const f = await fixture();
    const args = await input(f, '2028-01-31T12:00:00.000Z');
    await run(async (taskQueue) => {
      const handle = await start(taskQueue, args);
      await settled(handle);
      await advance(handle, 100 * DAY);
      const rows = await invoices(args.subscriptionId);
      expect(rows.map((row) => day(row.period_start))).toEqual(['2028-01-31', '2028-02-29', '2028-03-31', '2028-04-30']);
      expect(day(rows[3].period_end)).toBe('2028-05-31');
      await handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ atPeriodEnd: false }] });
    });
  }, 60_000);

  it('when a trial is given, then nothing is charged until it ends, and the first invoice then covers a period from the trial end', async () => {
    const f = await fixture();
    const args = await input(f, '2027-03-01T00:00:00.000Z', { trialEnd: '2027-03-15T00:00:00.000Z' });
    await run(async (taskQueue) => {
      const handle = await start(taskQueue, args);
      expect(await settled(handle)).toMatchObject({ status: 'trialing', invoicesIssued: 0, nextBillingAt: '2027-03-15T00:00:00.000Z' });
      expect(await advance(handle, 13 * DAY)).toMatchObject({ status: 'trialing', invoicesIssued: 0 });
      const state = await advance(handle, 2 * DAY);
      expect(state).toMatchObject({
        status: 'active',
        invoicesIssued: 1,
        currentPeriodStart: '2027-03-15T00:00:00.000Z',
        currentPeriodEnd: '2027-04-15T00:00:00.000Z',
      });
      expect(await charges(args.subscriptionId)).toMatchObject({ succeeded: 1 });
      await handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ atPeriodEnd: false }] });
    });
  }, 60_000);

  it('when a renewal fails, then the invoice stays open and the subscription past due, retried on day 3, and a card update pays it at once', async () => {
    const f = await fixture();
    const args = await input(f, '2027-05-01T00:00:00.000Z');
    await run(async (taskQueue) => {
      const handle = await start(taskQueue, args);
      await settled(handle);
      await sql(`update customers set default_source = 'tok_insufficient_funds' where id = ?`, [f.customerId]);
      const failed = await advance(handle, 31 * DAY);
      expect(failed).toMatchObject({ status: 'past_due', invoicesIssued: 2, nextBillingAt: '2027-06-04T00:00:00.000Z' });
      let [, renewal] = await invoices(args.subscriptionId);
      expect(renewal).toMatchObject({ status: 'open', attempt_count: 1 });
      expect(await advance(handle, 3 * DAY)).toMatchObject({ status: 'past_due' });
      [, renewal] = await invoices(args.subscriptionId);
      expect(renewal).toMatchObject({ status: 'open', attempt_count: 2 });

      await sql(`update customers set default_source = 'tok_visa' where id = ?`, [f.customerId]);
      await handle.signal(paymentMethodUpdatedSignal);
      const recovered = await settled(handle);
      expect(recovered).toMatchObject({
        status: 'active',
        currentPeriodEnd: '2027-07-01T00:00:00.000Z',
        nextBillingAt: '2027-07-01T00:00:00.000Z',
      });
      [, renewal] = await invoices(args.subscriptionId);
      expect(renewal).toMatchObject({ status: 'paid', attempt_count: 3, amount_paid_minor: '1000' });
      expect(await charges(args.subscriptionId)).toEqual({ sandbox: 2, ledger: 2, succeeded: 2 });
      const types = (await sql(`select type from events where data->'object'->>'id' = ? order by created_at`, [renewal.id])).map(
        (event) => event.type,
      );
      expect(types).toEqual(['invoice.created', 'invoice.payment_failed', 'invoice.payment_failed', 'invoice.paid']);
      await handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ atPeriodEnd: false }] });
    });
  }, 60_000);

  it('when every dunning retry fails, then after the day-7 retry the invoice is uncollectible and the subscription canceled', async () => {
    const f = await fixture();
    const args = await input(f, '2027-05-01T00:00:00.000Z');
    await run(async (taskQueue) => {
      const handle = await start(taskQueue, args);
      await settled(handle);
      await sql(`update customers set default_source = 'tok_insufficient_funds' where id = ?`, [f.customerId]);
      expect(await advance(handle, 36 * DAY)).toMatchObject({ status: 'past_due' });
      await env.sleep(2 * DAY);
      const ended = await handle.result();
      expect(ended.status).toBe('canceled');
      expect(day(ended.endedAt as string)).toBe('2027-06-08');
      const [, renewal] = await invoices(args.subscriptionId);
      expect(renewal).toMatchObject({ status: 'uncollectible', attempt_count: 4 });
      expect(await charges(args.subscriptionId)).toMatchObject({ succeeded: 1 });
    });
  }, 60_000);

  it('when dunning is set to leave the subscription unpaid, then it stops billing until a new card starts a new period', async () => {
    const f = await fixture();
    const args = await input(f, '2027-05-01T00:00:00.000Z', { dunning: { retryOffsetsMs: [DAY], whenExhausted: 'unpaid' } });
    await run(async (taskQueue) => {
      const handle = await start(taskQueue, args);
      await settled(handle);
      await sql(`update customers set default_source = 'tok_insufficient_funds' where id = ?`, [f.customerId]);
      expect(await advance(handle, 32 * DAY)).toMatchObject({ status: 'unpaid', invoicesIssued: 2, nextBillingAt: null });
      expect(await advance(handle, 60 * DAY)).toMatchObject({ status: 'unpaid', invoicesIssued: 2 });
      await sql(`update customers set default_source = 'tok_visa' where id = ?`, [f.customerId]);
      await handle.signal(paymentMethodUpdatedSignal);
      const restarted = await settled(handle);
      expect(restarted).toMatchObject({ status: 'active', invoicesIssued: 3, cycle: 0 });
      expect(day(restarted.billingAnchor)).toBe('2027-08-01');
      expect((await invoices(args.subscriptionId)).map((row) => row.status)).toEqual(['paid', 'uncollectible', 'paid']);
      await handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ atPeriodEnd: false }] });
    });
  }, 60_000);

  it('when the card is expired (a hard decline), then dunning stops at the first failure', async () => {
    const f = await fixture();
    const args = await input(f, '2027-05-01T00:00:00.000Z');
    await run(async (taskQueue) => {
      const handle = await start(taskQueue, args);
      await settled(handle);
      await sql(`update customers set default_source = 'tok_expired_card' where id = ?`, [f.customerId]);
      await env.sleep(31 * DAY);
      const ended = await handle.result();
      expect(ended.status).toBe('canceled');
      expect(day(ended.endedAt as string)).toBe('2027-06-01');
      const [, renewal] = await invoices(args.subscriptionId);
      expect(renewal).toMatchObject({ status: 'uncollectible', attempt_count: 1 });
    });
  }, 60_000);

  it('when canceled at period end, then it stays active until then and no further invoice is made', async () => {
    const f = await fixture();
    const args = await input(f, '2027-05-01T00:00:00.000Z');
    await run(async (taskQueue) => {
      const handle = await start(taskQueue, args);
      await advance(handle, 10 * DAY);
      const marked = await handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ atPeriodEnd: true }] });
      expect(marked).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
      expect(
        (await sql(`select cancel_at_period_end from subscriptions where id = ?`, [args.subscriptionId]))[0].cancel_at_period_end,
      ).toBe(true);
      await env.sleep(25 * DAY);
      expect(await handle.result()).toMatchObject({ status: 'canceled', invoicesIssued: 1, endedAt: '2027-06-01T00:00:00.000Z' });
      const types = (await sql(`select type from events where object_id = ? order by created_at`, [args.subscriptionId])).map(
        (event) => event.type,
      );
      expect(types.at(-1)).toBe('customer.subscription.deleted');
    });
  }, 60_000);

  it('when paused, then no invoice is made; resumed after the paid period, then a new period starts and is billed at once', async () => {
    const f = await fixture();
    const args = await input(f, '2027-05-01T00:00:00.000Z');
    await run(async (taskQueue) => {
      const handle = await start(taskQueue, args);
      await advance(handle, 10 * DAY);
      expect(await handle.executeUpdate(pauseSubscriptionUpdate)).toMatchObject({ status: 'paused', nextBillingAt: null });
      expect(await advance(handle, 60 * DAY)).toMatchObject({ status: 'paused', invoicesIssued: 1 });
      await handle.executeUpdate(resumeSubscriptionUpdate);
      const resumed = await settled(handle);
      expect(resumed).toMatchObject({ status: 'active', invoicesIssued: 2 });
      expect([day(resumed.currentPeriodStart as string), day(resumed.currentPeriodEnd as string)]).toEqual(['2027-07-10', '2027-08-10']);
      expect(await charges(args.subscriptionId)).toMatchObject({ succeeded: 2 });
      await handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ atPeriodEnd: false }] });
    });
  }, 60_000);

  it('when the plan changes mid-period, then the unused time is credited and the rest charged on the next invoice, to the minor unit', async () => {
    const f = await fixture('tok_visa', { basic: [1_000, 'month'], pro: [2_500, 'month'], yearly: [10_000, 'year'] });
    // May has 31 days; the change comes 7 days in, so 24/31 of the period is left.
    const args = await input(f, '2027-05-01T00:00:00.000Z');
    await run(async (taskQueue) => {
      const handle = await start(taskQueue, args);
      await advance(handle, 7 * DAY);
      await expect(handle.executeUpdate(changePlanUpdate, { args: [{ plan: f.plans.yearly }] })).rejects.toMatchObject({
        cause: { type: 'PlanIntervalMismatch' },
      });
      await handle.executeUpdate(changePlanUpdate, { args: [{ plan: f.plans.pro }] });
      await advance(handle, 24 * DAY);
      const [, next] = await invoices(args.subscriptionId);
      const credit = Math.round((1_000 * 24) / 31); // 774.19 → 774
      const charge = Math.round((2_500 * 24) / 31); // 1935.48 → 1935
      expect(next.lines.map((line: any) => [line.type, line.amountMinor])).toEqual([
        ['subscription', 2_500],
        ['proration', -credit],
        ['proration', charge],
      ]);
      expect(next).toMatchObject({ status: 'paid', subtotal_minor: String(2_500 - credit + charge), amount_paid_minor: String(3_661) });

      // A downgrade a day into June (30 days, 29 left) leaves credit that later invoices use up before charging.
      await advance(handle, DAY);
      await handle.executeUpdate(changePlanUpdate, { args: [{ plan: f.plans.basic }] });
      await advance(handle, 29 * DAY);
      const downgradeCredit = Math.round((2_500 * 29) / 30); // 2416.67 → 2417
      const downgradeCharge = Math.round((1_000 * 29) / 30); // 966.67 → 967
      const [, , july] = await invoices(args.subscriptionId);
      expect(july).toMatchObject({
        subtotal_minor: String(1_000 - downgradeCredit + downgradeCharge),
        amount_due_minor: '0',
        credit_applied_minor: '0',
        status: 'paid',
      });
      expect((await handle.query(getSubscriptionStateQuery)).creditBalanceMinor).toBe(450);
      await advance(handle, 31 * DAY);
      const [, , , august] = await invoices(args.subscriptionId);
      expect(august).toMatchObject({
        subtotal_minor: '1000',
        credit_applied_minor: '450',
        amount_due_minor: '550',
        amount_paid_minor: '550',
        status: 'paid',
      });
      expect((await handle.query(getSubscriptionStateQuery)).creditBalanceMinor).toBe(0);
      await handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ atPeriodEnd: false }] });
    });
  }, 60_000);

  it('when the worker restarts in the middle of a charge, then the new worker finishes the cycle with exactly one charge', async () => {
    const f = await fixture();
    const args = await input(f, '2027-05-01T00:00:00.000Z');
    const taskQueue = newTaskQueue();
    const sandbox = createGateways(orm).get('sandbox');
    let charged!: () => void;
    const chargedAtGateway = new Promise<void>((resolve) => {
      charged = resolve;
    });
    // The first worker's gateway charges the card, then that worker is gone before it can report.
    const dying: PaymentGateway = {
      name: sandbox.name,
      recognizesSource: (source) => sandbox.recognizesSource(source),
      riskLevel: (source) => sandbox.riskLevel(source),
      capture: (request) => sandbox.capture(request),
      void: (request) => sandbox.void(request),
      refund: (request) => sandbox.refund(request),
      async authorize(request: AuthorizeRequest) {
        await sandbox.authorize(request);
        charged();
        throw new Error('the worker was lost after the gateway charged');
      },
    };
    let handle!: WorkflowHandle<typeof subscriptionWorkflow>;
    await run(
      async () => {
        handle = await start(taskQueue, args);
        await chargedAtGateway;
      },
      new GatewayRegistry([dying], 'sandbox'),
      taskQueue,
      true,
    );
    await run(
      async () => {
        // The lost charge's activity is retried on the new worker after its backoff, under the same gateway key.
        expect(await until(handle, (state) => state.status !== 'incomplete')).toMatchObject({ status: 'active', invoicesIssued: 1 });
        expect(await charges(args.subscriptionId)).toEqual({ sandbox: 1, ledger: 1, succeeded: 1 });
        const [operation] = await sql(
          `select o.attempts from sandbox_gateway_operations o join payments p on o.idempotency_key = p.id || ':authorize' where p.metadata->>'subscription' = ?`,
          [args.subscriptionId],
        );
        expect(operation.attempts).toBeGreaterThanOrEqual(2);
        await handle.executeUpdate(cancelSubscriptionUpdate, { args: [{ atPeriodEnd: false }] });
      },
      createGateways(orm),
      taskQueue,
    );
  }, 60_000);
});
