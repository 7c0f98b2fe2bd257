import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { useTimeSkippingEnvironment, type TimeSkippingEnvironment } from '../support/time-skipping';
import type { Orm } from '../../src/db/orm';
import { inTransaction } from '../../src/db/sql';
import { parseStripeApiBase } from '../../src/gateways/stripe/stripe-api-base';
import type { StripeFake } from '../../src/gateways/stripe/stripe-fake';
import { StripePayoutNetwork } from '../../src/gateways/stripe/stripe-payouts';
import { ledgerAccounts } from '../../src/ledger/ledger-accounts';
import { MerchantService } from '../../src/merchants/merchant-service';
import type { PayoutNetworks } from '../../src/payouts/payout-network';
import { PayoutNetworkDirectory } from '../../src/payouts/payout-network-directory';
import { SandboxBank } from '../../src/payouts/sandbox-bank/sandbox-bank';
import { defaultPayoutSchedule, type PayoutScheduleRecord } from '../../src/payouts/payout-schedule-record';
import { PayoutScheduleRepository } from '../../src/payouts/payout-schedule-repository';
import { payoutWorkflowId, type PayoutState } from '../../src/payouts/payout-state';
import { newId, randomBase62 } from '../../src/shared/ids';
import { automaticPayoutId } from '../../activities/automatic-payout-activities';
import { automaticPayoutWorkflow, type AutomaticPayoutRunResult } from '../../workflows/automatic-payout-workflow';
import { cancelPayoutUpdate, waitForPayoutDecisionUpdate, type payoutWorkflow } from '../../workflows/payout-workflow';
import { expectLedgerBalanced } from '../support/ledger';
import { keepHistoryWhenRecording } from '../support/recorded-histories';
import { startStripeFakeOnClock, stripeFakeClock } from '../support/stripe-fake-clock';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FEE = 25;
let env: TestWorkflowEnvironment;
let orm: Orm;
let withWorker: TimeSkippingEnvironment['withWorker'];
let fake: StripeFake;
/** The fake's clock, following the workflow's (test/support/stripe-fake-clock.ts). */
const stripeClock = stripeFakeClock();
/** Gateway account id → the Stripe key of its fake account (what the real worker would open from the sealed credentials). */
const stripeKeys = new Map<string, string>();
/** The real sandbox bank, and each gateway account's payouts at the Stripe fake. */
const payoutNetworks: PayoutNetworks = {
  resolve: (target) =>
    new PayoutNetworkDirectory({
      sandboxBank: new SandboxBank(orm),
      gatewayPayouts: async (gatewayAccountId) => {
        const secretKey = stripeKeys.get(gatewayAccountId);
        if (!secretKey) throw new Error(`No fake Stripe account for ${gatewayAccountId}`);
        return new StripePayoutNetwork({ secretKey, apiBase: parseStripeApiBase(fake.url) });
      },
    }).resolve(target),
};
beforeAll(async () => {
  fake = await startStripeFakeOnClock(stripeClock);
});
afterAll(async () => {
  await fake?.stop();
});
const ENVIRONMENT = {
  taskQueuePrefix: 'automatic-payouts',
  activities: { payoutTimings: { submitDelayMs: 10 * 60_000, returnWatch: { everyMs: DAY, forMs: 2 * DAY } }, payoutNetworks },
};
useTimeSkippingEnvironment((started) => ({ env, orm, withWorker } = started), ENVIRONMENT);

const sql = <T = Record<string, any>>(text: string, params: unknown[] = []) => orm.em.getConnection().execute<T[]>(text, params);

/** A merchant with a payout fee, a default EUR bank account (a USD balance but no USD account), on the given settings. */
async function merchantWith(settings: Partial<PayoutScheduleRecord>): Promise<string> {
  const { merchant } = await new MerchantService(orm).create({ name: 'Automatic payouts', payoutFeeMinor: FEE });
  const bankAccountId = newId('ba');
  // As the API would have stored it; the number itself plays no part in a payout (only its last 4 does).
  await sql(
    `insert into bank_accounts (id, merchant_id, livemode, status, country, currency, account_holder_name, last4, fingerprint,
       number_key_id, number_ciphertext, default_for_currency, metadata, created_at, updated_at)
     values (?, ?, false, 'available', 'DE', 'EUR', 'Jo Merchant', '3000', ?, 'k1', '\\x00', true, '{}', now(), now())`,
    [bankAccountId, merchant.id, `fp_${bankAccountId}`],
  );
  await inTransaction(orm, (tx) =>
    new PayoutScheduleRepository(tx).save({ ...defaultPayoutSchedule(merchant.id, new Date()), ...settings, merchantId: merchant.id }),
  );
  return merchant.id;
}

/** Funds made available to the merchant at `at` (the workflow clock's time, which runs ahead of the database's). */
async function fund(merchantId: string, currency: string, amountMinor: number, at: number): Promise<void> {
  const entryId = newId('je');
  await inTransaction(orm, async (tx) => {
    await tx.query(
      `insert into ledger_entries (id, idempotency_key, content_hash, merchant_id, source_type, source_id, description, created_at)
       values (?, ?, 'test', ?, 'settlement', ?, 'Funds available for payouts', ?)`,
      [entryId, `test-funding:${entryId}`, merchantId, `stl_${entryId}`, new Date(at)],
    );
    await tx.query(
      `insert into ledger_postings (id, entry_id, account, merchant_id, currency, amount_minor, created_at)
       values (?, ?, ?, null, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)`,
      [
        ...[newId('lp'), entryId, ledgerAccounts.gatewayClearing('sandbox'), currency, -amountMinor, new Date(at)],
        ...[newId('lp'), entryId, ledgerAccounts.merchantAvailable(merchantId), merchantId, currency, amountMinor, new Date(at)],
      ],
    );
    // Its line in the balance history too, as postJournalEntry would write it: the trial balance (which
    // other files' tests check on this shared database) needs available to equal the history's sum.
    await tx.query(
      `insert into balance_transactions (id, merchant_id, ledger_entry_id, type, source_type, source_id, description, currency,
         amount_minor, fee_minor, net_minor, status, available_on, created_at)
       values (?, ?, ?, 'adjustment', 'settlement', ?, 'Funds available for payouts', ?, ?, 0, ?, 'available', ?, ?)`,
      [newId('txn'), merchantId, entryId, `stl_${entryId}`, currency, amountMinor, amountMinor, new Date(at), new Date(at)],
    );
  });
}

/**
 * A verified Stripe gateway account of the merchant's taking `currencies` (none: every one), whose fake
 * Stripe account holds `stripeUsdMinor`, and the merchant's schedule set to pay out through it.
 */
async function payingThroughStripe(merchantId: string, stripeUsdMinor: number, currencies = '{}'): Promise<string> {
  const gatewayAccount = newId('gwa');
  await sql(
    `insert into gateway_accounts (id, merchant_id, gateway, livemode, status, currencies, priority, created_at, updated_at)
     values (?, ?, 'stripe', false, 'verified', ?::text[], 100, now(), now())`,
    [gatewayAccount, merchantId, currencies],
  );
  const secretKey = `sk_test_${randomBase62(24)}`;
  fake.addAccount({ secretKey, balance: { usd: stripeUsdMinor } });
  stripeKeys.set(gatewayAccount, secretKey);
  await inTransaction(orm, async (tx) => {
    const schedules = new PayoutScheduleRepository(tx);
    const current = await schedules.find(merchantId);
    await schedules.save({ ...(current ?? defaultPayoutSchedule(merchantId, new Date())), gatewayAccountId: gatewayAccount });
  });
  return gatewayAccount;
}

const atStripe = (payoutId: string) => fake.payouts().filter((payout) => payout.metadata.ledgerflow_payout === payoutId);

async function available(merchantId: string, currency = 'EUR'): Promise<number> {
  const [row] = await sql(`select balance_minor from ledger_account_balances where account = ? and currency = ?`, [
    ledgerAccounts.merchantAvailable(merchantId),
    currency,
  ]);
  return Number(row?.balance_minor ?? 0);
}

const payoutRows = (merchantId: string) =>
  sql(`select id, amount_minor::int as amount, fee_minor::int as fee, currency, automatic, status from payouts where merchant_id = ?`, [
    merchantId,
  ]);
const destinationsOf = (merchantId: string) =>
  sql(`select bank_account_id, gateway_account_id, network from payouts where merchant_id = ?`, [merchantId]);

/** Runs the scheduled workflow once, as the merchant's schedule would (the run's time is the workflow's clock unless given). */
async function run(taskQueue: string, merchantId: string, runAt?: string, recordAs?: string): Promise<AutomaticPayoutRunResult> {
  const handle = await env.client.workflow.start(automaticPayoutWorkflow, {
    taskQueue,
    workflowId: `payouts-${merchantId}-${newId('req')}`,
    args: [{ merchantId, runAt }],
  });
  const result = await handle.result();
  if (recordAs) await keepHistoryWhenRecording(handle, recordAs);
  return result;
}

const childOf = (payoutId: string) => env.client.workflow.getHandle<typeof payoutWorkflow>(payoutWorkflowId(payoutId));

/** Runs, then waits (worker still up) until each payout it started has taken its money from the balance. */
async function runAndReserve(taskQueue: string, merchantId: string, runAt?: string): Promise<AutomaticPayoutRunResult> {
  const result = await run(taskQueue, merchantId, runAt);
  for (const payout of result.payouts) await childOf(payout.payoutId).executeUpdate(waitForPayoutDecisionUpdate);
  return result;
}

describe('an automatic payout run', () => {
  it('when a daily run comes with delay_days 3, then only funds available 3 days are paid out, less the fee, and the payout reaches paid as time passes', async () => {
    const merchantId = await merchantWith({ interval: 'daily', delayDays: 3 });
    const now = await env.currentTimeMs();
    await fund(merchantId, 'EUR', 100_000, now - 10 * DAY);
    await fund(merchantId, 'EUR', 30_000, now - DAY);
    // No USD bank account: a USD balance stays where it is.
    await fund(merchantId, 'USD', 50_000, now - 10 * DAY);

    const { result, final } = await withWorker(async (taskQueue) => {
      const result = await run(taskQueue, merchantId, undefined, 'automatic-payout-run');
      // The payout's own workflow: pending for the submit delay, in transit a day, then paid; the server skips the waiting.
      const final: PayoutState = await childOf(result.payouts[0].payoutId).result();
      return { result, final };
    });

    expect(result.skipped).toBeNull();
    expect(result.payouts).toEqual([
      { payoutId: automaticPayoutId(merchantId, result.runAt, 'EUR'), currency: 'EUR', amountMinor: 100_000 - FEE, alreadyStarted: false },
    ]);
    // The run's time is the workflow clock's, not the wall clock's (the test server's clock runs its own way).
    expect(Math.abs(Date.parse(result.runAt) - now)).toBeLessThan(HOUR);
    expect(final).toMatchObject({ status: 'paid', automatic: true, amountMinor: 100_000 - FEE, feeMinor: FEE, currency: 'EUR' });
    expect(await payoutRows(merchantId)).toEqual([
      { id: result.payouts[0].payoutId, amount: 100_000 - FEE, fee: FEE, currency: 'EUR', automatic: true, status: 'paid' },
    ]);
    // What arrived a day ago is still there, and the USD balance untouched.
    expect(await available(merchantId)).toBe(30_000);
    expect(await available(merchantId, 'USD')).toBe(50_000);
    await expectLedgerBalanced(orm);
  });

  it('when a later run comes, then it pays out what has become old enough since, never what the first run paid', async () => {
    const merchantId = await merchantWith({ interval: 'daily', delayDays: 2 });
    const start = await env.currentTimeMs();
    await fund(merchantId, 'EUR', 40_000, start - 5 * DAY);
    const first = await withWorker(async (taskQueue) => runAndReserve(taskQueue, merchantId, new Date(start).toISOString()));
    expect(first.payouts.map((payout) => payout.amountMinor)).toEqual([40_000 - FEE]);
    // Between the runs 10,000 arrives; three days later it is old enough, and it is all that is left.
    await fund(merchantId, 'EUR', 10_000, start + 12 * HOUR);
    const early = await withWorker(async (taskQueue) => run(taskQueue, merchantId, new Date(start + DAY).toISOString()));
    expect(early.payouts).toEqual([]);
    const later = await withWorker(async (taskQueue) => run(taskQueue, merchantId, new Date(start + 3 * DAY).toISOString()));
    expect(later.payouts.map((payout) => payout.amountMinor)).toEqual([10_000 - FEE]);
    await terminatePayouts(merchantId);
  });

  it('when what is payable is below the currency minimum, then no payout is made and the run says why', async () => {
    const merchantId = await merchantWith({ interval: 'weekly', weeklyAnchor: 'friday', minimumAmounts: { EUR: 50_000 } });
    await fund(merchantId, 'EUR', 49_000, (await env.currentTimeMs()) - 5 * DAY);
    const result = await withWorker(async (taskQueue) => run(taskQueue, merchantId));
    expect(result).toMatchObject({
      skipped: null,
      payouts: [],
      belowMinimum: [{ currency: 'EUR', payableMinor: 49_000, minimumMinor: 50_000 }],
    });
    expect(await payoutRows(merchantId)).toEqual([]);
    expect(await available(merchantId)).toBe(49_000);
  });

  it('when the balance reaches the minimum, then the payout is made (the minimum applies to the amount sent, after the fee)', async () => {
    const merchantId = await merchantWith({ interval: 'daily', minimumAmounts: { EUR: 50_000 } });
    await fund(merchantId, 'EUR', 50_000 + FEE, (await env.currentTimeMs()) - DAY);
    const result = await withWorker(async (taskQueue) => run(taskQueue, merchantId));
    expect(result.payouts.map((payout) => payout.amountMinor)).toEqual([50_000]);
    await terminatePayouts(merchantId);
  });

  it('when ops have paused the merchant, then the run makes no payout', async () => {
    const merchantId = await merchantWith({ interval: 'daily', paused: true, pausedReason: 'KYC review' });
    await fund(merchantId, 'EUR', 80_000, (await env.currentTimeMs()) - 5 * DAY);
    const result = await withWorker(async (taskQueue) => run(taskQueue, merchantId));
    expect(result).toMatchObject({ skipped: 'paused', payouts: [] });
    expect(await payoutRows(merchantId)).toEqual([]);
    expect(await available(merchantId)).toBe(80_000);
  });

  it('when the merchant is on manual (its schedule deleted a moment too late), then the run makes no payout', async () => {
    const merchantId = await merchantWith({ interval: 'manual' });
    await fund(merchantId, 'EUR', 80_000, (await env.currentTimeMs()) - 5 * DAY);
    const result = await withWorker(async (taskQueue) => run(taskQueue, merchantId));
    expect(result).toMatchObject({ skipped: 'manual', payouts: [] });
    expect(await payoutRows(merchantId)).toEqual([]);
  });

  it('when the same scheduled run is made again (a retry, a second start), then it makes no second payout, even once the first was canceled', async () => {
    const merchantId = await merchantWith({ interval: 'monthly', monthlyAnchor: 15 });
    await fund(merchantId, 'EUR', 70_000, (await env.currentTimeMs()) - 5 * DAY);
    const runAt = new Date(await env.currentTimeMs()).toISOString();
    const [first, second, afterCancel] = await withWorker(async (taskQueue) => {
      const first = await runAndReserve(taskQueue, merchantId, runAt);
      // The balance is reserved: a second run of the slot finds nothing to pay.
      const second = await runAndReserve(taskQueue, merchantId, runAt);
      // Canceled, the money is available again; the slot's payout id has run, so a third run starts nothing.
      const canceled = await childOf(first.payouts[0].payoutId).executeUpdate(cancelPayoutUpdate);
      expect(canceled.status).toBe('canceled');
      return [first, second, await run(taskQueue, merchantId, runAt, 'automatic-payout-already-started')];
    });
    expect(first.payouts).toEqual([
      { payoutId: expect.stringMatching(/^po_[0-9A-Za-z]{22}$/), currency: 'EUR', amountMinor: 70_000 - FEE, alreadyStarted: false },
    ]);
    expect(second.payouts).toEqual([]);
    expect(afterCancel.payouts).toEqual([{ ...first.payouts[0], alreadyStarted: true }]);
    expect(await payoutRows(merchantId)).toEqual([
      { id: first.payouts[0].payoutId, amount: 70_000 - FEE, fee: FEE, currency: 'EUR', automatic: true, status: 'canceled' },
    ]);
    expect(await available(merchantId)).toBe(70_000);
    await expectLedgerBalanced(orm);
  });
});

describe('an automatic payout run through a Stripe gateway account', () => {
  // The test server stops skipping time for good once a payout has closed after the run that started it
  // (temporalio/sdk-typescript#1101), as the first lifecycle test's does: these tests get a server of their own.
  let outer: Pick<TimeSkippingEnvironment, 'env' | 'orm' | 'withWorker'>;
  beforeAll(() => {
    outer = { env, orm, withWorker };
  });
  useTimeSkippingEnvironment((started) => ({ env, orm, withWorker } = started), ENVIRONMENT);
  afterAll(() => {
    ({ env, orm, withWorker } = outer);
  });

  it('when the schedule names a Stripe account, then each currency it takes is paid out through it, no bank account needed, and reaches paid at Stripe', async () => {
    const merchantId = await merchantWith({ interval: 'daily', delayDays: 1 });
    // The account takes USD only; the merchant has no USD bank account, and its EUR bank account is not used.
    const gatewayAccount = await payingThroughStripe(merchantId, 500_000, '{USD}');
    const now = await env.currentTimeMs();
    await fund(merchantId, 'USD', 100_000, now - 5 * DAY);
    await fund(merchantId, 'EUR', 60_000, now - 5 * DAY);

    const { result, final } = await withWorker(
      async (taskQueue) => {
        const result = await run(taskQueue, merchantId, undefined, 'automatic-payout-stripe');
        const final: PayoutState = await childOf(result.payouts[0].payoutId).result();
        return { result, final };
      },
      { adaptActivities: stripeClock.followWorkflow },
    );

    expect(result.skipped).toBeNull();
    expect(result.payouts).toEqual([
      { payoutId: automaticPayoutId(merchantId, result.runAt, 'USD'), currency: 'USD', amountMinor: 100_000 - FEE, alreadyStarted: false },
    ]);
    expect(final).toMatchObject({
      status: 'paid',
      automatic: true,
      network: 'stripe',
      gatewayAccountId: gatewayAccount,
      bankAccountId: null,
      amountMinor: 100_000 - FEE,
      feeMinor: FEE,
      currency: 'USD',
      returned: false,
    });
    const [stripePayout, ...more] = atStripe(final.payoutId);
    expect(more).toEqual([]);
    expect(stripePayout).toMatchObject({ amount: 100_000 - FEE, currency: 'usd', status: 'paid' });
    expect(final.bankReference).toBe(stripePayout.id);
    expect(await destinationsOf(merchantId)).toEqual([{ bank_account_id: null, gateway_account_id: gatewayAccount, network: 'stripe' }]);
    expect(await available(merchantId, 'USD')).toBe(0);
    expect(await available(merchantId, 'EUR')).toBe(60_000);
    await expectLedgerBalanced(orm);
  });

  it('when the Stripe account was disabled after the schedule was saved, then the run is skipped with gateway_account_unavailable and writes nothing', async () => {
    const merchantId = await merchantWith({ interval: 'daily' });
    const gatewayAccount = await payingThroughStripe(merchantId, 500_000);
    await sql(`update gateway_accounts set status = 'disabled', disabled_at = now() where id = ?`, [gatewayAccount]);
    await fund(merchantId, 'EUR', 80_000, (await env.currentTimeMs()) - 5 * DAY);
    await fund(merchantId, 'USD', 40_000, (await env.currentTimeMs()) - 5 * DAY);
    const payoutsAtStripe = fake.payouts().length;

    const result = await withWorker(async (taskQueue) => run(taskQueue, merchantId), { adaptActivities: stripeClock.followWorkflow });

    // Not paid to the EUR bank account instead: the merchant chose the Stripe account.
    expect(result).toMatchObject({ skipped: 'gateway_account_unavailable', payouts: [], belowMinimum: [] });
    expect(await payoutRows(merchantId)).toEqual([]);
    expect(fake.payouts()).toHaveLength(payoutsAtStripe);
    expect([await available(merchantId, 'EUR'), await available(merchantId, 'USD')]).toEqual([80_000, 40_000]);
  });
});

/** Payouts left waiting on their timers would stop the server skipping time for the next test's worker. */
async function terminatePayouts(merchantId: string): Promise<void> {
  for (const { id } of await payoutRows(merchantId))
    await childOf(id)
      .terminate('test over')
      .catch(() => undefined);
}
