import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeFake, type StripeFake } from '../../src/gateways/stripe/stripe-fake';
import { sqlFor } from '../../src/db/sql';
import { ReconciliationLedgerRepository } from '../../src/reconciliation/reconciliation-ledger-repository';
import { randomBase62 } from '../../src/shared/ids';
import { SECONDS_STRIPE_PAYOUTS, secondsStripePayoutEnv, stripePayoutMerchant, type StripePayoutMerchant } from '../support/stripe-payouts';
import { eventually, startTestStack, type TestStack } from '../support/test-stack';
import { keepHistoryWhenRecording } from '../support/recorded-histories';

/**
 * The daily reconciliation of payouts sent through merchants' Stripe accounts: each account's payouts as
 * Stripe lists them (our stateful fake) against that merchant's ledger, one merchant-scoped run per account,
 * through the real workflow, activity, ledger and PostgreSQL.
 */

let stack: TestStack;
let fake: StripeFake;

beforeAll(async () => {
  fake = await startStripeFake(SECONDS_STRIPE_PAYOUTS);
  stack = await startTestStack({
    schedules: true,
    env: secondsStripePayoutEnv(fake.url),
  });
});
afterAll(async () => {
  await stack?.close();
  await fake?.stop();
});

type StripeMerchant = StripePayoutMerchant;
const stripeMerchant = (payoutAccountNumber?: string) =>
  stripePayoutMerchant(stack, fake, { name: 'Stripe payout reconciliation', payoutAccountNumber });

/** A payout through the merchant's Stripe account, followed until it reaches `status` (and `returned`, when asked). */
async function payout(merchant: StripeMerchant, amount: string, status: string, returned = false) {
  const created = await stack.request('POST', '/v1/payouts', {
    apiKey: merchant.apiKey,
    body: { amount, currency: 'USD', gateway_account: merchant.account },
    headers: { 'Idempotency-Key': `recon-${randomBase62(10)}` },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return eventually(async () => {
    const { body } = await stack.request('GET', `/v1/payouts/${created.body.id}`, { apiKey: merchant.apiKey });
    return body.status === status && body.returned === returned ? body : undefined;
  }, 30_000);
}

/** A payout the merchant made in Stripe's Dashboard, outside Ledgerflow: money left the account our books never moved. */
async function dashboardPayout(merchant: StripeMerchant, amountMinor: number): Promise<string> {
  const response = await fetch(`${fake.url}/v1/payouts`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${merchant.secretKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ amount: String(amountMinor), currency: 'usd' }),
  });
  const body = (await response.json()) as { id: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  await eventually(async () => fake.payouts().find((one) => one.id === body.id && one.status === 'paid'), 10_000);
  return body.id;
}

const today = () => new Date().toISOString().slice(0, 10);

/** Runs the day's reconciliation; with RECORD_HISTORIES=1 and `recordAs`, keeps its history for the replay test. */
async function reconcileDay(input: { day: string; gatewayAccount?: string; gatewayAccounts?: string[] }, recordAs?: string) {
  const handle = await stack.client.workflow.start('dailyGatewayPayoutReconciliationWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `test-stripe-payout-reconciliation-${randomBase62(8)}`,
    args: [input],
  });
  const result = await handle.result();
  if (recordAs) await keepHistoryWhenRecording(handle, recordAs);
  return result;
}

const runOf = async (merchant: StripeMerchant, id: string) => {
  const response = await stack.request('GET', `/v1/reconciliations/${id}`, { apiKey: merchant.apiKey });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
};

const categories = (run: { items: { category: string; gateway_reference: string | null; settlement: any; ledger: any }[] }) =>
  run.items.map((item) => [item.category, item.gateway_reference, item.settlement?.amount ?? null, item.ledger?.amount ?? null]);

describe("the daily reconciliation of Stripe accounts' payouts", () => {
  it('when a paid payout and one made in the Dashboard are reconciled, then ours matches, the other is missing in the ledger, and the merchant sees and is told of the run', async () => {
    const merchant = await stripeMerchant();
    const paid = await payout(merchant, '120.00', 'paid');
    const outside = await dashboardPayout(merchant, 4_500);

    const result = await reconcileDay({ day: today(), gatewayAccount: merchant.account }, 'stripe-payout-reconciliation');
    expect(result.unreadable).toEqual([]);
    expect(result.runs).toEqual([
      expect.objectContaining({ gatewayAccountId: merchant.account, merchantId: merchant.id, status: 'discrepancies_found', fileRows: 2 }),
    ]);
    const run = await runOf(merchant, result.runs[0].reconciliationId);
    expect(run).toMatchObject({
      kind: 'payouts',
      source: 'bank_statement',
      gateway: 'stripe',
      gateway_account: merchant.account,
      merchant_id: merchant.id,
      period_start: today(),
      period_end: today(),
      summary: { matched: 1, amount_mismatch: 0, missing_in_ledger: 1, missing_in_settlement: 0 },
    });
    expect(categories(run)).toEqual([
      ['matched', paid.bank_reference, -120, -120],
      ['missing_in_ledger', outside, -45, null],
    ]);
    const events = await stack.orm.em
      .getConnection()
      .execute<{ type: string }[]>(`select type from events where object_id = ? order by type`, [run.id]);
    expect(events.map((event) => event.type)).toEqual(['reconciliation.completed', 'reconciliation.discrepancies_found']);

    // The same day run again by the schedule's next attempt is a new run, of the same findings.
    const again = await reconcileDay({ day: today(), gatewayAccount: merchant.account });
    expect(again.runs[0].reconciliationId).not.toBe(run.id);
    expect(again.runs[0].summary).toEqual(run.summary);
  });

  it('when a paid payout comes back and another fails before it arrives, then the return matches both ways and the failure is on neither side', async () => {
    const returning = await stripeMerchant('000999999991');
    const back = await payout(returning, '70.00', 'failed', true);
    expect(back).toMatchObject({ failure_code: 'account_closed' });
    const refusing = await stripeMerchant('000111111113');
    await payout(refusing, '30.00', 'failed');

    const returned = await reconcileDay({ day: today(), gatewayAccount: returning.account });
    const returnedRun = await runOf(returning, returned.runs[0].reconciliationId);
    expect(returnedRun.status).toBe('reconciled');
    expect(categories(returnedRun)).toEqual([
      ['matched', back.bank_reference, -70, -70],
      ['matched', back.bank_reference, 70, 70],
    ]);

    const failed = await reconcileDay({ day: today(), gatewayAccount: refusing.account });
    const failedRun = await runOf(refusing, failed.runs[0].reconciliationId);
    expect(failedRun).toMatchObject({ status: 'reconciled', file_rows: 0, items: [] });
  });

  it('when our books tie a payout to a Stripe payout Stripe does not list that day, then it is missing in the settlement', async () => {
    const merchant = await stripeMerchant();
    const paid = await payout(merchant, '15.00', 'paid');
    // Another day's statement: Stripe lists nothing for the account then, while our payout counts on its paid day only.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const quiet = await reconcileDay({ day: yesterday, gatewayAccount: merchant.account });
    expect(quiet.runs[0]).toMatchObject({ status: 'reconciled', fileRows: 0 });

    // Our record now names a Stripe payout that does not exist (a bug, or a row edited by hand).
    await stack.orm.em.getConnection().execute(`update payouts set bank_reference = 'po_unknown_at_stripe' where id = ?`, [paid.id]);
    const result = await reconcileDay({ day: today(), gatewayAccount: merchant.account });
    const run = await runOf(merchant, result.runs[0].reconciliationId);
    expect(categories(run)).toEqual([
      ['missing_in_ledger', paid.bank_reference, -15, null],
      ['missing_in_settlement', 'po_unknown_at_stripe', null, -15],
    ]);
  });

  it('when an account’s key is revoked, then the day’s run reports it unreadable, stores nothing for it, and still reconciles the other accounts', async () => {
    const revoked = await stripeMerchant();
    await payout(revoked, '10.00', 'paid');
    const healthy = await stripeMerchant();
    await payout(healthy, '11.00', 'paid');
    fake.revokeKey(revoked.secretKey);

    // A day's run takes every account that paid out lately: these two among them.
    const lately = await new ReconciliationLedgerRepository(sqlFor(stack.orm.em.fork())).payoutGatewayAccounts(
      'stripe',
      new Date(Date.now() - 86_400_000),
    );
    expect(lately).toEqual(
      expect.arrayContaining([
        { gatewayAccountId: revoked.account, merchantId: revoked.id },
        { gatewayAccountId: healthy.account, merchantId: healthy.id },
      ]),
    );
    // The two accounts by name: the test database holds other files' accounts, which this stack's fake does not know.
    const result = await reconcileDay({ day: today(), gatewayAccounts: [revoked.account, healthy.account] });
    expect(result.unreadable).toContainEqual(expect.objectContaining({ gatewayAccountId: revoked.account, merchantId: revoked.id }));
    expect(result.runs.map((run: { gatewayAccountId: string }) => run.gatewayAccountId)).not.toContain(revoked.account);
    const healthyRun = result.runs.find((run: { gatewayAccountId: string }) => run.gatewayAccountId === healthy.account);
    expect(healthyRun).toMatchObject({ merchantId: healthy.id, status: 'reconciled', summary: { matched: 1 } });
    const stored = await stack.orm.em
      .getConnection()
      .execute(`select count(*)::int as count from reconciliations where gateway_account_id = ?`, [revoked.account]);
    expect(stored[0].count).toBe(0);
    // A merchant sees only its own runs.
    expect((await stack.request('GET', `/v1/reconciliations/${healthyRun.reconciliationId}`, { apiKey: revoked.apiKey })).status).toBe(404);
  });

  it('when an account’s credentials cannot be opened (its vault key is gone), then it is reported unreadable without its secrets, and nothing is stored', async () => {
    const merchant = await stripeMerchant();
    await payout(merchant, '12.00', 'paid');
    await stack.orm.em
      .getConnection()
      .execute(`update gateway_accounts set credentials_key_id = 'retired-key', updated_at = now() where id = ?`, [merchant.account]);
    const result = await reconcileDay({ day: today(), gatewayAccount: merchant.account });
    expect(result.runs).toEqual([]);
    expect(result.unreadable).toEqual([
      { gatewayAccountId: merchant.account, merchantId: merchant.id, reason: expect.stringMatching(/credentials cannot be opened/) },
    ]);
    expect(JSON.stringify(result)).not.toContain(merchant.secretKey);
  });

  it('when the worker starts, then the daily Stripe payout reconciliation is scheduled', async () => {
    const description = await stack.client.schedule.getHandle(`${stack.taskQueue}-stripe-payout-reconciliation`).describe();
    expect(description.action).toMatchObject({ workflowType: 'dailyGatewayPayoutReconciliationWorkflow' });
  });
});
