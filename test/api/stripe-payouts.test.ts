import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeFake, type StripeFake } from '../../src/gateways/stripe/stripe-fake';
import { ledgerAccounts } from '../../src/ledger/ledger-accounts';
import { expectLedgerBalanced } from '../support/ledger';
import { SECONDS_STRIPE_PAYOUTS, secondsStripePayoutEnv, stripePayoutMerchant, type StripePayoutMerchant } from '../support/stripe-payouts';
import { eventually, startTestStack, type TestStack } from '../support/test-stack';

/**
 * Payouts through a merchant's Stripe account, against our stateful Stripe fake: the real API,
 * workflow, activities and PostgreSQL; only Stripe is faked. Timings are seconds, not days, so the
 * whole lifecycle runs on the dev server (the time-skipping suite covers the days).
 */

let stack: TestStack;
let fake: StripeFake;

beforeAll(async () => {
  fake = await startStripeFake(SECONDS_STRIPE_PAYOUTS);
  stack = await startTestStack({
    env: secondsStripePayoutEnv(fake.url),
  });
});
afterAll(async () => {
  await stack?.close();
  await fake?.stop();
});

type StripeMerchant = StripePayoutMerchant;
/** A merchant with `availableMinor` USD available in our ledger and a verified Stripe account holding `stripeMinor` USD. */
const stripeMerchant = (
  availableMinor: number,
  stripeMinor: number,
  options: { payoutAccountNumber?: string; payoutFeeMinor?: number } = {},
): Promise<StripeMerchant> => stripePayoutMerchant(stack, fake, { availableMinor, stripeMinor, ...options });

const post = (merchant: { apiKey: string }, path: string, body: unknown, key?: string) =>
  stack.request('POST', path, { apiKey: merchant.apiKey, body, headers: key ? { 'Idempotency-Key': key } : {} });
const getPayout = async (merchant: { apiKey: string }, id: string) =>
  (await stack.request('GET', `/v1/payouts/${id}`, { apiKey: merchant.apiKey })).body;
const sql = <T = any>(text: string, params: unknown[] = []): Promise<T[]> => stack.orm.em.getConnection().execute(text, params);

async function availableMinor(merchantId: string): Promise<number> {
  const [row] = await sql(`select balance_minor from ledger_account_balances where account = ? and currency = 'USD'`, [
    ledgerAccounts.merchantAvailable(merchantId),
  ]);
  return Number(row?.balance_minor ?? 0);
}

const stripePayoutsOf = (payoutId: string) => fake.payouts().filter((payout) => payout.metadata.ledgerflow_payout === payoutId);

async function settled(merchant: StripeMerchant, id: string, status: string, extra: (payout: any) => boolean = () => true) {
  return eventually(async () => {
    const payout = await getPayout(merchant, id);
    return payout.status === status && extra(payout) ? payout : undefined;
  }, 30_000);
}

describe('payouts through a Stripe account', () => {
  it('when a payout names a Stripe account, then Stripe pays it to that account’s bank account once, and our ledger moves like a bank payout', async () => {
    const merchant = await stripeMerchant(100_000, 100_000, { payoutFeeMinor: 30 });
    const created = await post(merchant, '/v1/payouts', { amount: '250.00', currency: 'USD', gateway_account: merchant.account }, 'so-1');
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      status: 'pending',
      bank_account: null,
      gateway_account: merchant.account,
      bank_account_last4: null,
      amount: 250,
      fee: 0.3,
    });
    expect(await availableMinor(merchant.id)).toBe(100_000 - 25_000 - 30);

    const paid = await settled(merchant, created.body.id, 'paid');
    const [atStripe] = stripePayoutsOf(created.body.id);
    expect(stripePayoutsOf(created.body.id)).toHaveLength(1);
    expect(atStripe).toMatchObject({ amount: 25_000, currency: 'usd', status: 'paid' });
    expect(paid).toMatchObject({ bank_reference: atStripe.id, bank_account_last4: '6789', failure_code: null, returned: false });
    expect(paid.arrival_date).toBe(new Date(atStripe.arrival_date * 1000).toISOString().slice(0, 10));

    // The Stripe leg lands on Stripe's payout account; the fee stays with the platform.
    const bank = await sql(
      `select coalesce(sum(p.amount_minor), 0)::bigint as total from ledger_postings p join ledger_entries e on e.id = p.entry_id
      where e.source_type = 'payout' and e.source_id = ? and p.account = ?`,
      [created.body.id, ledgerAccounts.payoutBank('stripe')],
    );
    expect(Number(bank[0].total)).toBe(25_000);
    expect(await availableMinor(merchant.id)).toBe(100_000 - 25_000 - 30);
    const events = await sql(`select type from events where object_id = ? order by created_at, id`, [created.body.id]);
    expect(events.map((event) => event.type)).toEqual(['payout.created', 'payout.updated', 'payout.paid']);

    const again = await post(merchant, '/v1/payouts', { amount: '250.00', currency: 'USD', gateway_account: merchant.account }, 'so-1');
    expect(again.body.id).toBe(created.body.id);
    expect(stripePayoutsOf(created.body.id)).toHaveLength(1);
    const listed = await stack.request('GET', `/v1/payouts?gateway_account=${merchant.account}`, { apiKey: merchant.apiKey });
    expect(listed.body.data.map((payout: { id: string }) => payout.id)).toEqual([created.body.id]);
    await expectLedgerBalanced(stack.orm);
  });

  it('when the Stripe balance does not cover it, then Stripe refuses, the payout fails as gateway_balance_insufficient, and the money and fee are available again', async () => {
    const merchant = await stripeMerchant(100_000, 1_000, { payoutFeeMinor: 30 });
    const created = await post(merchant, '/v1/payouts', { amount: '50.00', currency: 'USD', gateway_account: merchant.account });
    expect(created.status).toBe(201);
    const failed = await settled(merchant, created.body.id, 'failed');
    expect(failed).toMatchObject({ failure_code: 'gateway_balance_insufficient', returned: false, bank_reference: null });
    expect(failed.failure_message).toContain('balance did not cover');
    expect(stripePayoutsOf(created.body.id)).toEqual([]);
    expect(await availableMinor(merchant.id)).toBe(100_000);
    await expectLedgerBalanced(stack.orm);
  });

  it('when the destination bank refuses, or pays and returns it later, then the payout fails with Stripe’s code and the money comes back', async () => {
    const refusing = await stripeMerchant(10_000, 10_000, { payoutAccountNumber: '000111111113' });
    const refused = await post(refusing, '/v1/payouts', { amount: '40.00', currency: 'USD', gateway_account: refusing.account });
    const returning = await stripeMerchant(10_000, 10_000, { payoutAccountNumber: '000999999991' });
    const returned = await post(returning, '/v1/payouts', { amount: '40.00', currency: 'USD', gateway_account: returning.account });

    expect(await settled(refusing, refused.body.id, 'failed')).toMatchObject({ failure_code: 'account_closed', returned: false });
    expect(await availableMinor(refusing.id)).toBe(10_000);

    const back = await settled(returning, returned.body.id, 'failed', (payout) => payout.returned);
    expect(back).toMatchObject({ failure_code: 'account_closed', returned: true });
    const types = await sql(`select type from events where object_id = ? order by created_at, id`, [returned.body.id]);
    expect(types.map((event) => event.type)).toEqual(['payout.created', 'payout.updated', 'payout.paid', 'payout.failed']);
    expect(await availableMinor(returning.id)).toBe(10_000);
    await expectLedgerBalanced(stack.orm);
  });

  it('when Stripe’s answer to the payout is lost after it made it, then the retry finds that payout and Stripe pays out once', async () => {
    const merchant = await stripeMerchant(50_000, 50_000);
    // Twice: the Stripe SDK itself sends a request again once when its connection is reset.
    fake.injectFault({ operation: 'create_payout', kind: 'lose_answer_after_commit', times: 2 });
    const created = await post(merchant, '/v1/payouts', { amount: '75.00', currency: 'USD', gateway_account: merchant.account });
    expect(created.status).toBe(201);
    const paid = await settled(merchant, created.body.id, 'paid');
    expect(stripePayoutsOf(created.body.id)).toHaveLength(1);
    expect(paid.bank_reference).toBe(stripePayoutsOf(created.body.id)[0].id);
    expect(await availableMinor(merchant.id)).toBe(50_000 - 7_500);
  });

  it('when gateway_account is wrong, then 400 names the field and nothing is written', async () => {
    const merchant = await stripeMerchant(10_000, 10_000);
    const other = await stripeMerchant(10_000, 10_000);
    const sandboxAccount = await post(merchant, '/v1/gateway_accounts', { gateway: 'sandbox' });
    expect(sandboxAccount.status, JSON.stringify(sandboxAccount.body)).toBe(201);
    const attempt = (body: Record<string, unknown>) => post(merchant, '/v1/payouts', { amount: '10.00', currency: 'USD', ...body });

    const both = await attempt({ gateway_account: merchant.account, bank_account: 'ba_123' });
    expect(both.status).toBe(400);
    expect(both.body).toMatchObject({ param: 'gateway_account' });
    const unknown = await attempt({ gateway_account: 'gwa_nope' });
    expect(unknown.body).toMatchObject({ code: 'resource_missing', param: 'gateway_account' });
    const notMine = await attempt({ gateway_account: other.account });
    expect(notMine.body).toMatchObject({ code: 'resource_missing', param: 'gateway_account' });
    const sandbox = await attempt({ gateway_account: sandboxAccount.body.id });
    expect(sandbox.body).toMatchObject({ code: 'parameter_invalid', param: 'gateway_account' });
    expect(sandbox.body.error).toContain('cannot pay out');
    const empty = await attempt({ gateway_account: '' });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ param: 'gateway_account' });

    const disabled = await stack.request('DELETE', `/v1/gateway_accounts/${merchant.account}`, { apiKey: merchant.apiKey });
    expect(disabled.status).toBeLessThan(300);
    const afterDisable = await attempt({ gateway_account: merchant.account });
    expect(afterDisable.status).toBe(400);
    expect(afterDisable.body).toMatchObject({ param: 'gateway_account' });

    expect(await sql(`select id from payouts where merchant_id = ?`, [merchant.id])).toEqual([]);
    expect(await availableMinor(merchant.id)).toBe(10_000);
  });
});
