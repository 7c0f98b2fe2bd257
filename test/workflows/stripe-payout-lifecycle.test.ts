import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { useTimeSkippingEnvironment, type TimeSkippingEnvironment } from '../support/time-skipping';
import type { Orm } from '../../src/db/orm';
import { parseStripeApiBase } from '../../src/gateways/stripe/stripe-api-base';
import type { FakeEvent, StripeFake } from '../../src/gateways/stripe/stripe-fake';
import { StripePayoutNetwork } from '../../src/gateways/stripe/stripe-payouts';
import { ledgerAccounts } from '../../src/ledger/ledger-accounts';
import { MerchantService } from '../../src/merchants/merchant-service';
import type { Merchant } from '../../src/merchants/merchant-record';
import { PayoutNetworkDirectory } from '../../src/payouts/payout-network-directory';
import type { PayoutNetwork } from '../../src/payouts/payout-network';
import { PayoutService } from '../../src/payouts/payout-service';
import { payoutWorkflowId, type PayoutState } from '../../src/payouts/payout-state';
import { newId, randomBase62 } from '../../src/shared/ids';
import { getPayoutStateQuery, payoutTransferUpdatedSignal, type payoutWorkflow } from '../../workflows/payout-workflow';
import { expectLedgerBalanced, makeAvailable } from '../support/ledger';
import { keepHistoryWhenRecording } from '../support/recorded-histories';
import { startStripeFakeOnClock, stripeFakeClock } from '../support/stripe-fake-clock';

/**
 * Payouts through a Stripe account with the days skipped: the real workflow and activities, the
 * real Stripe SDK against our Stripe fake. The fake's clock follows the workflow's: each payout
 * activity sets it to the time the workflow asked at (its `requestedAt` / `asOf`), so Stripe's
 * arrival and the return two days later happen on the workflow's days.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SUBMIT_DELAY = 10 * 60_000;

let env: TestWorkflowEnvironment;
let orm: Orm;
let withWorker: TimeSkippingEnvironment['withWorker'];
let fake: StripeFake;
/** The fake's clock, following the workflow's (test/support/stripe-fake-clock.ts). */
const stripeClock = stripeFakeClock();
/** Gateway account id → the Stripe key of its fake account (what the real worker would open from the sealed credentials). */
const stripeKeys = new Map<string, string>();

beforeAll(async () => {
  fake = await startStripeFakeOnClock(stripeClock);
});
afterAll(async () => {
  await fake?.stop();
});

useTimeSkippingEnvironment((started) => ({ env, orm, withWorker } = started), {
  taskQueuePrefix: 'stripe-payouts',
  activities: {
    payoutNetworks: new PayoutNetworkDirectory({
      // These payouts never travel over the sandbox bank.
      sandboxBank: { name: 'sandbox_bank' } as unknown as PayoutNetwork,
      gatewayPayouts: async (gatewayAccountId) => {
        const secretKey = stripeKeys.get(gatewayAccountId);
        if (!secretKey) throw new Error(`No fake Stripe account for ${gatewayAccountId}`);
        return new StripePayoutNetwork({ secretKey, apiBase: parseStripeApiBase(fake.url) });
      },
    }),
  },
});

const sql = <T = Record<string, any>>(text: string, params: unknown[] = []) => orm.em.getConnection().execute<T[]>(text, params);

/** A merchant with `availableMinor` USD in our ledger and a verified Stripe account (no stored credentials needed here) holding `stripeMinor`. */
async function fixture(
  availableMinor: number,
  stripeMinor: number,
  payoutAccountNumber?: string,
): Promise<{ merchant: Merchant; gatewayAccount: string; stripeAccount: string }> {
  const { merchant } = await new MerchantService(orm).create({ name: 'Stripe payouts', payoutFeeMinor: 25 });
  const gatewayAccount = newId('gwa');
  await sql(
    `insert into gateway_accounts (id, merchant_id, gateway, livemode, status, currencies, priority, created_at, updated_at)
     values (?, ?, 'stripe', false, 'verified', '{}', 100, now(), now())`,
    [gatewayAccount, merchant.id],
  );
  const secretKey = `sk_test_${randomBase62(24)}`;
  const stripeAccount = fake.addAccount({ secretKey, balance: { usd: stripeMinor }, payoutAccountNumber }).id;
  stripeKeys.set(gatewayAccount, secretKey);
  await makeAvailable(orm, merchant.id, 'USD', availableMinor);
  return { merchant, gatewayAccount, stripeAccount };
}

const payouts = (taskQueue: string) =>
  new PayoutService({
    orm: orm as never,
    temporal: env.client,
    taskQueue,
    syncWaitMs: 30_000,
    timings: { submitDelayMs: SUBMIT_DELAY, returnWatch: { everyMs: DAY, forMs: 5 * DAY } },
  });

async function available(merchantId: string): Promise<number> {
  const [row] = await sql(`select balance_minor from ledger_account_balances where account = ? and currency = 'USD'`, [
    ledgerAccounts.merchantAvailable(merchantId),
  ]);
  return Number(row?.balance_minor ?? 0);
}

const handleOf = (id: string) => env.client.workflow.getHandle<typeof payoutWorkflow>(payoutWorkflowId(id));
const entryKeys = async (id: string) =>
  (await sql<{ idempotency_key: string }>(`select idempotency_key from ledger_entries where source_id = ? order by created_at`, [id])).map(
    (entry) => entry.idempotency_key,
  );
const atStripe = (payoutId: string) => fake.payouts().filter((payout) => payout.metadata.ledgerflow_payout === payoutId);

const recordHistory = (name: string, payoutId: string) => keepHistoryWhenRecording(handleOf(payoutId), name);

describe('a payout through a Stripe account, days skipped', () => {
  it('when Stripe pays it, then pending → in_transit (destination last 4 from Stripe) → paid on the arrival day', async () => {
    const { merchant, gatewayAccount } = await fixture(100_000, 100_000);
    const final = await withWorker(
      async (taskQueue) => {
        const created = await payouts(taskQueue).create(merchant, { amount: 400, currency: 'USD', gateway_account: gatewayAccount });
        expect(created.payout).toMatchObject({ status: 'pending', gateway_account: gatewayAccount, bank_account: null });
        await env.sleep(SUBMIT_DELAY + 2 * 60_000);
        const sent = await handleOf(created.payout.id).query(getPayoutStateQuery);
        expect(sent).toMatchObject({ status: 'in_transit', bankAccountLast4: '6789', bankReference: expect.stringMatching(/^po_/) });
        expect(atStripe(created.payout.id)).toMatchObject([
          { amount: 40_000, currency: 'usd', destination: expect.stringMatching(/^ba_/) },
        ]);
        const result: PayoutState = await handleOf(created.payout.id).result();
        await recordHistory('payout-stripe-paid', created.payout.id);
        return result;
      },
      { adaptActivities: stripeClock.followWorkflow },
    );
    expect(final).toMatchObject({ status: 'paid', network: 'stripe', returned: false });
    const [stripePayout] = atStripe(final.payoutId);
    expect(stripePayout.status).toBe('paid');
    expect(final.paidAt).toBe(new Date(stripePayout.arrival_date * 1000).toISOString());
    expect(Date.parse(final.paidAt as string) - Date.parse(final.createdAt)).toBeGreaterThanOrEqual(DAY);
    expect(await available(merchant.id)).toBe(100_000 - 40_025);
    expect(await entryKeys(final.payoutId)).toEqual([`payout:${final.payoutId}`, `payout:${final.payoutId}:paid`]);
    await expectLedgerBalanced(orm);
  });

  it('when Stripe refuses it for its own balance, then it fails from pending without a transfer, and the amount and fee come back', async () => {
    const { merchant, gatewayAccount } = await fixture(100_000, 5_000);
    const final = await withWorker(
      async (taskQueue) => {
        const created = await payouts(taskQueue).create(merchant, { amount: 100, currency: 'USD', gateway_account: gatewayAccount });
        const result: PayoutState = await handleOf(created.payout.id).result();
        await recordHistory('payout-stripe-refused', created.payout.id);
        return result;
      },
      { adaptActivities: stripeClock.followWorkflow },
    );
    expect(final).toMatchObject({ status: 'failed', failureCode: 'gateway_balance_insufficient', bankReference: null });
    expect(atStripe(final.payoutId)).toEqual([]);
    expect(await available(merchant.id)).toBe(100_000);
    expect(await entryKeys(final.payoutId)).toEqual([`payout:${final.payoutId}`, `payout:${final.payoutId}:failed`]);
    await expectLedgerBalanced(orm);
  });

  it('when Stripe reports a paid payout failed two days later, then it is returned: failed with returned true, the amount back', async () => {
    const { merchant, gatewayAccount } = await fixture(100_000, 100_000, '000999999991');
    const final = await withWorker(
      async (taskQueue) => {
        const created = await payouts(taskQueue).create(merchant, { amount: 100, currency: 'USD', gateway_account: gatewayAccount });
        await env.sleep(SUBMIT_DELAY + DAY + HOUR);
        expect((await handleOf(created.payout.id).query(getPayoutStateQuery)).status).toBe('paid');
        expect(await available(merchant.id)).toBe(100_000 - 10_025);
        const result: PayoutState = await handleOf(created.payout.id).result();
        await recordHistory('payout-stripe-returned', created.payout.id);
        return result;
      },
      { adaptActivities: stripeClock.followWorkflow },
    );
    expect(final).toMatchObject({ status: 'failed', returned: true, failureCode: 'account_closed' });
    expect(Date.parse(final.returnedAt as string) - Date.parse(final.paidAt as string)).toBeGreaterThanOrEqual(2 * DAY);
    expect(await available(merchant.id)).toBe(100_000 - 25);
    expect(await entryKeys(final.payoutId)).toEqual([
      `payout:${final.payoutId}`,
      `payout:${final.payoutId}:paid`,
      `payout:${final.payoutId}:returned`,
    ]);
    await expectLedgerBalanced(orm);
  });

  it('when the answer to the payout is lost after Stripe made it, then the retry finds it by its key and there is one payout', async () => {
    const { merchant, gatewayAccount, stripeAccount } = await fixture(100_000, 100_000);
    // Twice: the Stripe SDK itself sends a request again once when its connection is reset.
    fake.injectFault({ operation: 'create_payout', kind: 'lose_answer_after_commit', times: 2 });
    const final = await withWorker(
      async (taskQueue) => {
        const created = await payouts(taskQueue).create(merchant, { amount: 50, currency: 'USD', gateway_account: gatewayAccount });
        return (await handleOf(created.payout.id).result()) as PayoutState;
      },
      { adaptActivities: stripeClock.followWorkflow },
    );
    expect(final.status).toBe('paid');
    expect(atStripe(final.payoutId)).toHaveLength(1);
    expect(final.bankReference).toBe(atStripe(final.payoutId)[0].id);
    // The retry asked Stripe for the payout under its key instead of sending a second one blindly.
    const calls = fake
      .requestLog()
      .filter((entry) => entry.account === stripeAccount && (entry.operation === 'list_payouts' || entry.operation === 'create_payout'));
    expect(calls.map((entry) => [entry.operation, entry.outcome])).toEqual([
      ['create_payout', 'lost'],
      ['create_payout', 'lost'],
      ['list_payouts', 'answered'],
    ]);
  });
});

/** How often the workflow has asked Stripe about this account's payouts (each ask reads the payout). */
const statusReads = (stripeAccount: string) =>
  fake.requestLog().filter((entry) => entry.account === stripeAccount && entry.operation === 'retrieve_payout').length;

/**
 * Stripe's clock moves to `atMs` (never back), its due payout changes happen with their events, and the newest
 * event of `type` about our payout is answered, as Stripe would send it to the account's endpoint.
 */
async function stripeEventAt(atMs: number, stripeAccount: string, payoutId: string, type: string): Promise<FakeEvent> {
  stripeClock.advanceTo(atMs);
  fake.advancePayouts();
  const events = fake
    .events({ type, account: stripeAccount })
    .filter((event) => (event.data.object as { metadata?: Record<string, string> }).metadata?.ledgerflow_payout === payoutId);
  expect(events, `a ${type} event for ${payoutId}`).not.toHaveLength(0);
  return events[events.length - 1];
}

/** What the event receiver does for an event about one of our payouts: it wakes the workflow, and tells it nothing more. */
const nudge = (payoutId: string, event: FakeEvent) =>
  handleOf(payoutId).signal(payoutTransferUpdatedSignal, { eventId: event.id, type: event.type });

/** Polls (in real time; queries skip no workflow time) until `check` holds. */
async function until<T>(what: string, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Stripe payout events wake the payout workflow, which asks Stripe', () => {
  it('when Stripe pays the payout and says so before the arrival time, then it is paid at the event, without waiting for the arrival', async () => {
    const { merchant, gatewayAccount, stripeAccount } = await fixture(100_000, 100_000);
    const final = await withWorker(
      async (taskQueue) => {
        const created = await payouts(taskQueue).create(merchant, { amount: 100, currency: 'USD', gateway_account: gatewayAccount });
        await env.sleep(SUBMIT_DELAY + 2 * 60_000);
        expect((await handleOf(created.payout.id).query(getPayoutStateQuery)).status).toBe('in_transit');
        const [stripePayout] = atStripe(created.payout.id);
        const arrivesAt = stripePayout.arrival_date * 1000;
        const readsBefore = statusReads(stripeAccount);

        // Stripe's clock runs ahead of the workflow's: it pays the payout while the workflow still waits for the arrival.
        await nudge(created.payout.id, await stripeEventAt(arrivesAt, stripeAccount, created.payout.id, 'payout.paid'));
        const paid = await until('paid', async () => {
          const state = await handleOf(created.payout.id).query(getPayoutStateQuery);
          return state.status === 'paid' && state;
        });
        expect(paid.paidAt).toBe(new Date(arrivesAt).toISOString());
        expect(statusReads(stripeAccount)).toBe(readsBefore + 1);
        expect(await env.currentTimeMs()).toBeLessThan(arrivesAt - 12 * HOUR);
        const [row] = await sql(`select status from payouts where id = ?`, [created.payout.id]);
        expect(row.status).toBe('paid');
        const result: PayoutState = await handleOf(created.payout.id).result();
        await recordHistory('payout-stripe-paid-by-event', created.payout.id);
        return result;
      },
      { adaptActivities: stripeClock.followWorkflow },
    );
    expect(final).toMatchObject({ status: 'paid', returned: false });
    expect(await entryKeys(final.payoutId)).toEqual([`payout:${final.payoutId}`, `payout:${final.payoutId}:paid`]);
    await expectLedgerBalanced(orm);
  });

  it('when an event comes while Stripe still says in_transit, or paid during the return watch, then the ask changes nothing and the schedule stands', async () => {
    const { merchant, gatewayAccount, stripeAccount } = await fixture(100_000, 100_000);
    const final = await withWorker(
      async (taskQueue) => {
        const created = await payouts(taskQueue).create(merchant, { amount: 100, currency: 'USD', gateway_account: gatewayAccount });
        const id = created.payout.id;
        await env.sleep(SUBMIT_DELAY + 2 * 60_000);

        // Stripe moved it from pending to in_transit (payout.updated): asked at once, still in transit.
        await nudge(id, await stripeEventAt(await env.currentTimeMs(), stripeAccount, id, 'payout.updated'));
        await until('the ask', async () => statusReads(stripeAccount) === 1);
        const state = await handleOf(id).query(getPayoutStateQuery);
        expect(state.status).toBe('in_transit');
        expect(state.paidAt ?? null).toBeNull();
        const [row] = await sql(`select status from payouts where id = ?`, [id]);
        expect(row.status).toBe('in_transit');

        // The arrival-time check still happens, and pays it there.
        await env.sleep(DAY);
        const paid = await handleOf(id).query(getPayoutStateQuery);
        expect(paid.status).toBe('paid');
        expect(statusReads(stripeAccount)).toBe(2);

        // Halfway between two daily return checks, a redelivered payout.paid: asked, still paid.
        await env.sleep(DAY + 12 * HOUR);
        expect(statusReads(stripeAccount)).toBe(3);
        await nudge(id, await stripeEventAt(await env.currentTimeMs(), stripeAccount, id, 'payout.paid'));
        await until('the ask', async () => statusReads(stripeAccount) === 4);
        expect((await handleOf(id).query(getPayoutStateQuery)).status).toBe('paid');
        const result: PayoutState = await handleOf(id).result();
        await recordHistory('payout-stripe-nudged-unchanged', id);
        return result;
      },
      { adaptActivities: stripeClock.followWorkflow },
    );
    expect(final).toMatchObject({ status: 'paid', returned: false });
    // The watch kept its five days from paid, asked daily: the nudge neither ended it nor started it again.
    const closedAt = (await handleOf(final.payoutId).describe()).closeTime as Date;
    expect(closedAt.getTime() - Date.parse(final.paidAt as string)).toBeGreaterThanOrEqual(5 * DAY);
    expect(closedAt.getTime() - Date.parse(final.paidAt as string)).toBeLessThan(5 * DAY + HOUR);
    expect(statusReads(stripeAccount)).toBe(1 + 1 + 1 + 5);
    expect(await entryKeys(final.payoutId)).toEqual([`payout:${final.payoutId}`, `payout:${final.payoutId}:paid`]);
  });

  it('when Stripe reports a paid payout failed during the return watch, then the event makes it returned at once, not at the next daily check', async () => {
    const { merchant, gatewayAccount, stripeAccount } = await fixture(100_000, 100_000, '000999999991');
    const final = await withWorker(
      async (taskQueue) => {
        const created = await payouts(taskQueue).create(merchant, { amount: 100, currency: 'USD', gateway_account: gatewayAccount });
        const id = created.payout.id;
        await env.sleep(SUBMIT_DELAY + DAY + HOUR);
        const paid = await handleOf(id).query(getPayoutStateQuery);
        expect(paid.status).toBe('paid');
        const readsBefore = statusReads(stripeAccount);

        // Stripe's clock runs ahead to the return (two days after the arrival); the workflow's next check is a day after paid.
        const returnedAt = Date.parse(paid.paidAt as string) + 2 * DAY;
        await nudge(id, await stripeEventAt(returnedAt, stripeAccount, id, 'payout.failed'));
        const returned = await until('returned', async () => {
          const state = await handleOf(id).query(getPayoutStateQuery);
          return state.returned && state;
        });
        expect(returned).toMatchObject({ status: 'failed', failureCode: 'account_closed' });
        expect(statusReads(stripeAccount)).toBe(readsBefore + 1);
        expect(await env.currentTimeMs()).toBeLessThan(Date.parse(paid.paidAt as string) + DAY);
        expect(await available(merchant.id)).toBe(100_000 - 25);
        const result: PayoutState = await handleOf(id).result();
        await recordHistory('payout-stripe-returned-by-event', id);
        return result;
      },
      { adaptActivities: stripeClock.followWorkflow },
    );
    expect(final).toMatchObject({ status: 'failed', returned: true, failureCode: 'account_closed' });
    expect(await entryKeys(final.payoutId)).toEqual([
      `payout:${final.payoutId}`,
      `payout:${final.payoutId}:paid`,
      `payout:${final.payoutId}:returned`,
    ]);
    await expectLedgerBalanced(orm);
  });
});
