import { describe, expect, it } from 'vitest';
import { useTestStack, TEST_ADMIN_KEY, type TestMerchant, type TestStack } from '../support/test-stack';
import { expectLedgerBalanced, merchantBalances } from '../support/ledger';
import { createPayment } from '../support/api-calls';
import { settleDueFunds } from '../../src/ledger/settlement';
import { inTransaction } from '../../src/db/sql';
import { computeTrialBalance } from '../../src/ledger/trial-balance';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started), { schedules: true });

const DAY = 24 * 3600 * 1000;
const utcMidnightInDays = (from: Date, days: number) =>
  new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() + days));

describe('balances, balance transactions and settlement', () => {
  it('when a payment is captured, then the balance shows the net as pending, the fee as payable, and the transaction is pending until its settlement day', async () => {
    const own = await stack.createMerchant('Balance');
    const payment = await createPayment(stack, own, { amount: 100, expectStatus: 'succeeded' });

    const balance = await stack.request('GET', '/v1/balance', { apiKey: own.apiKey });
    expect(balance.status).toBe(200);
    expect(balance.body).toEqual({
      object: 'balance',
      livemode: false,
      available: [{ amount: 0, currency: 'USD' }],
      pending: [{ amount: 96.8, currency: 'USD' }],
      reserved: [{ amount: 0, currency: 'USD' }],
      fees_payable: [{ amount: 3.2, currency: 'USD' }],
    });

    const list = await stack.request('GET', '/v1/balance_transactions', { apiKey: own.apiKey });
    expect(list.body.data).toHaveLength(1);
    const [charge] = list.body.data;
    expect(charge).toMatchObject({
      object: 'balance_transaction',
      type: 'charge',
      source: payment.id,
      amount: 100,
      fee: 3.2,
      net: 96.8,
      currency: 'USD',
      status: 'pending',
    });
    expect(charge.available_on).toBe(utcMidnightInDays(new Date(charge.created), 2).toISOString().replace('.000Z', 'Z'));
  });

  it('when the settlement day comes, then settlement moves the net from pending to available, once', async () => {
    const own = await stack.createMerchant('Settles');
    await createPayment(stack, own, { amount: 50, expectStatus: 'succeeded' });
    await createPayment(stack, own, { amount: 20, expectStatus: 'succeeded' });
    // Not yet: the funds are due in two days.
    expect(await settleDueFunds(stack.orm, { asOf: new Date(), merchantIds: [own.id] })).toEqual({
      settled: 0,
      entries: 0,
      hasMore: false,
    });

    const inThreeDays = new Date(Date.now() + 3 * DAY);
    // 50.00 - 1.75 fee + 20.00 - 0.88 fee = 67.37, in one entry.
    expect(await settleDueFunds(stack.orm, { asOf: inThreeDays, merchantIds: [own.id] })).toEqual({
      settled: 2,
      entries: 1,
      hasMore: false,
    });
    expect(await merchantBalances(stack.orm, own.id)).toEqual({ pending: 0, available: 6_737, fees_payable: 263 });
    expect(await settleDueFunds(stack.orm, { asOf: inThreeDays, merchantIds: [own.id] })).toEqual({
      settled: 0,
      entries: 0,
      hasMore: false,
    });

    const list = await stack.request('GET', '/v1/balance_transactions?type=charge', { apiKey: own.apiKey });
    expect(list.body.data.map((row: any) => row.status)).toEqual(['available', 'available']);
    const entries = await stack.request('GET', '/v1/ledger/entries?source_type=settlement', { apiKey: own.apiKey });
    expect(entries.body.data).toHaveLength(1);
    expect(entries.body.data[0].postings).toEqual([
      { account: `merchant:${own.id}:available`, currency: 'USD', amount: 67.37, amount_minor: 6_737 },
      { account: `merchant:${own.id}:pending`, currency: 'USD', amount: -67.37, amount_minor: -6_737 },
    ]);
    await expectLedgerBalanced(stack.orm);
  });

  it('when a merchant settles in 0 days, then the scheduled settlement workflow makes its funds available', async () => {
    const own = await stack.createMerchant('Same day', { settlement_delay_days: 0 });
    await createPayment(stack, own, { amount: 10, expectStatus: 'succeeded' });
    const result = await stack.client.workflow.execute('settlementWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: `settlement-test-${own.id}`,
      args: [{ merchantIds: [own.id] }],
    });
    expect(result).toMatchObject({ settled: 1 });
    expect(await merchantBalances(stack.orm, own.id)).toEqual({ pending: 0, available: 941, fees_payable: 59 });
  });

  it('when refunds and disputes draw on an unsettled balance, then available goes negative, is listed, and the trial balance reports it', async () => {
    const own = await stack.createMerchant('Goes negative');
    const payment = await createPayment(stack, own, { amount: 100, expectStatus: 'succeeded' });
    const refund = await stack.request('POST', '/v1/refunds', { apiKey: own.apiKey, body: { payment_id: payment.id, amount: 40 } });
    expect(refund.body.status).toBe('succeeded');
    const dispute = await stack.request('POST', `/v1/test_helpers/payments/${payment.id}/dispute`, { apiKey: own.apiKey, body: {} });
    expect(dispute.status).toBe(201);

    const balance = await stack.request('GET', '/v1/balance', { apiKey: own.apiKey });
    // Available: -40.00 refund, -60.00 dispute, -15.00 dispute fee; 60.00 held in reserve.
    expect(balance.body).toMatchObject({
      available: [{ amount: -115, currency: 'USD' }],
      pending: [{ amount: 96.8, currency: 'USD' }],
      reserved: [{ amount: 60, currency: 'USD' }],
    });

    const list = await stack.request('GET', '/v1/balance_transactions', { apiKey: own.apiKey });
    expect(list.body.data.map((row: any) => [row.type, row.amount, row.fee, row.net, row.status])).toEqual([
      ['dispute', -60, 15, -75, 'available'],
      ['refund', -40, 0, -40, 'available'],
      ['charge', 100, 3.2, 96.8, 'pending'],
    ]);
    const page1 = await stack.request('GET', '/v1/balance_transactions?limit=2', { apiKey: own.apiKey });
    const page2 = await stack.request('GET', `/v1/balance_transactions?limit=2&starting_after=${page1.body.data[1].id}`, {
      apiKey: own.apiKey,
    });
    expect([...page1.body.data, ...page2.body.data].map((row: any) => row.type)).toEqual(['dispute', 'refund', 'charge']);
    expect([page1.body.has_more, page2.body.has_more]).toEqual([true, false]);
    const bySource = await stack.request('GET', `/v1/balance_transactions?source=${refund.body.id}`, { apiKey: own.apiKey });
    expect(bySource.body.data.map((row: any) => row.type)).toEqual(['refund']);
    const future = await stack.request('GET', `/v1/balance_transactions?created[gte]=${Math.floor(Date.now() / 1000) + 3600}`, {
      apiKey: own.apiKey,
    });
    expect(future.body.data).toEqual([]);

    const trial = await stack.request('GET', '/v1/ledger/trial_balance?verify=postings', { apiKey: TEST_ADMIN_KEY });
    expect(trial.status).toBe(200);
    expect(trial.body.verified).toBe('postings');
    expect(trial.body.balanced).toBe(true);
    expect(trial.body.negative_available).toContainEqual({ merchant_id: own.id, currency: 'USD', amount_minor: -11_500 });
    expect(trial.body.accounts).toContainEqual(
      expect.objectContaining({
        account: `merchant:${own.id}:reserve`,
        balance_minor: 6_000,
        stored_balance_minor: 6_000,
        matches_stored: true,
      }),
    );
    // The default answer reads the stored balances: the same totals, nothing recomputed, in time independent of the ledger.
    const fromBalances = await stack.request('GET', '/v1/ledger/trial_balance', { apiKey: TEST_ADMIN_KEY });
    expect(fromBalances.body).toMatchObject({ verified: 'balances', balanced: true });
    expect(fromBalances.body.unbalanced_entries).toBeUndefined();
    expect(fromBalances.body.accounts).toContainEqual(
      expect.objectContaining({ account: `merchant:${own.id}:reserve`, balance_minor: 6_000, matches_stored: null }),
    );
    expect(fromBalances.body.negative_available).toContainEqual({ merchant_id: own.id, currency: 'USD', amount_minor: -11_500 });
    // Both count the same accounts (other files' tests post meanwhile, so the totals themselves may move).
    expect(fromBalances.body.currencies.map((row: any) => row.currency).sort()).toEqual(
      trial.body.currencies.map((row: any) => row.currency).sort(),
    );
  });

  it('when the filters are wrong or the caller is not admin, then 400 naming the field or 401', async () => {
    expect((await stack.request('GET', '/v1/balance_transactions?type=transfer', { apiKey: merchant.apiKey })).body.param).toBe('type');
    expect((await stack.request('GET', '/v1/balance_transactions?created[gte]=yesterday', { apiKey: merchant.apiKey })).body.param).toBe(
      'created[gte]',
    );
    expect((await stack.request('GET', '/v1/balance_transactions?starting_after=txn_nope', { apiKey: merchant.apiKey })).body.param).toBe(
      'starting_after',
    );
    expect((await stack.request('GET', '/v1/ledger/entries?limit=0', { apiKey: merchant.apiKey })).body.param).toBe('limit');
    expect((await stack.request('GET', '/v1/ledger/trial_balance', { apiKey: merchant.apiKey })).status).toBe(401);
    expect((await stack.request('GET', '/v1/ledger/trial_balance?verify=all', { apiKey: TEST_ADMIN_KEY })).body.param).toBe('verify');
  });

  it("when another merchant lists, then none of this merchant's money shows", async () => {
    const own = await stack.createMerchant('Private');
    const payment = await createPayment(stack, own, { amount: 12, expectStatus: 'succeeded' });
    const other = await stack.createMerchant('Other');
    expect((await stack.request('GET', `/v1/balance_transactions?source=${payment.id}`, { apiKey: other.apiKey })).body.data).toEqual([]);
    expect((await stack.request('GET', `/v1/ledger/entries?source=${payment.id}`, { apiKey: other.apiKey })).body.data).toEqual([]);
    expect((await stack.request('GET', '/v1/balance', { apiKey: other.apiKey })).body.available).toEqual([]);
  });
});

describe('the trial balance and the daily check', () => {
  it('when a stored balance is altered behind the ledger, then the trial balance finds exactly that account', async () => {
    const own = await stack.createMerchant('Tampered');
    await createPayment(stack, own, { amount: 30, expectStatus: 'succeeded' });
    const account = `merchant:${own.id}:pending`;
    // The guard refuses the edit; a superuser who disables it is caught by the check. Rolled back, so no other test sees it.
    await expect(
      stack.orm.em
        .getConnection()
        .execute(`update ledger_account_balances set balance_minor = balance_minor + 1 where account = ?`, [account]),
    ).rejects.toThrow(/change only through postings/);
    const found = await inTransaction(stack.orm, async (sql) => {
      await sql.query('alter table ledger_account_balances disable trigger ledger_account_balances_guard');
      await sql.query(
        `update ledger_account_balances set balance_minor = balance_minor + 1, credits_minor = credits_minor + 1 where account = ?`,
        [account],
      );
      const trial = await computeTrialBalance(sql, new Date());
      await sql.query('rollback');
      await sql.query('begin');
      return trial;
    });
    expect(found.balanced).toBe(false);
    expect(found.account_mismatches.map((row) => row.account)).toEqual([account]);
    expect(found.balance_transaction_mismatches.map((row) => row.merchant_id)).toEqual([own.id]);
  });

  it('when the daily check schedule fires, then a balanced check is recorded and listed', async () => {
    const handle = stack.client.schedule.getHandle(`${stack.taskQueue}-ledger-daily-check`);
    const description = await handle.describe();
    expect(description.action).toMatchObject({ workflowType: 'dailyLedgerCheckWorkflow', taskQueue: stack.taskQueue });
    const before = (await stack.request('GET', '/v1/ledger/checks', { apiKey: TEST_ADMIN_KEY })).body.data.length;
    await handle.trigger();
    let checks: any[] = [];
    for (let attempt = 0; attempt < 100 && checks.length <= before; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      checks = (await stack.request('GET', '/v1/ledger/checks', { apiKey: TEST_ADMIN_KEY })).body.data;
    }
    expect(checks.length).toBe(before + 1);
    expect(checks[0]).toMatchObject({ object: 'ledger_check', balanced: true, summary: { account_mismatches: 0, unbalanced_entries: 0 } });
    // The trial balance from the stored balances names the check that last proved them.
    const trial = await stack.request('GET', '/v1/ledger/trial_balance', { apiKey: TEST_ADMIN_KEY });
    expect(trial.body.last_check).toEqual({ id: checks[0].id, as_of: checks[0].as_of, balanced: true });
  });
});
