import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY, useTestStack, type TestStack } from '../support/test-stack';
import { ledgerAccounts } from '../../src/ledger/ledger-accounts';
import { TEST_BANK_ACCOUNTS_PAID } from '../../src/bank-accounts/test-bank-accounts';
import { expectLedgerBalanced, makeAvailable } from '../support/ledger';

let stack: TestStack;
useTestStack((started) => ({ stack } = started));

type Caller = { id: string; apiKey: string };
const post = (caller: Caller, path: string, body: unknown, key?: string) =>
  stack.request('POST', path, { apiKey: caller.apiKey, body, headers: key ? { 'Idempotency-Key': key } : {} });
const get = (caller: Caller, path: string) => stack.request('GET', path, { apiKey: caller.apiKey });
const sql = <T = any>(text: string, params: unknown[] = []): Promise<T[]> => stack.orm.em.getConnection().execute(text, params);

const GERMAN = { country: 'DE', currency: 'EUR', account_holder_name: 'Jenny Rosen', iban: TEST_BANK_ACCOUNTS_PAID.iban };

async function merchantWithAccount(fundedMinor: number, settings: Record<string, unknown> = {}) {
  const merchant = await stack.createMerchant('Payouts', settings);
  const account = await post(merchant, '/v1/bank_accounts', GERMAN);
  expect(account.status).toBe(201);
  await makeAvailable(stack.orm, merchant.id, 'EUR', fundedMinor);
  return { merchant, bankAccountId: account.body.id as string };
}

async function availableMinor(merchantId: string): Promise<number> {
  const [row] = await sql(`select balance_minor from ledger_account_balances where account = ? and currency = 'EUR'`, [
    ledgerAccounts.merchantAvailable(merchantId),
  ]);
  return Number(row?.balance_minor ?? 0);
}

describe('POST /v1/payouts', () => {
  it('when 20 payouts race against a balance that covers 10, then exactly 10 are made and the balance ends at zero, never below', async () => {
    const { merchant } = await merchantWithAccount(50_000);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) => post(merchant, '/v1/payouts', { amount: '50.00', currency: 'EUR' }, `race-${index}`)),
    );
    const made = answers.filter((answer) => answer.status === 201);
    const refused = answers.filter((answer) => answer.status === 400);
    expect(made).toHaveLength(10);
    expect(refused).toHaveLength(10);
    for (const answer of refused) expect(answer.body).toMatchObject({ code: 'balance_insufficient', param: 'amount' });
    for (const answer of made) expect(answer.body).toMatchObject({ object: 'payout', status: 'pending', amount: 50, currency: 'EUR' });
    expect(await availableMinor(merchant.id)).toBe(0);
    const rows = await sql(`select id from payouts where merchant_id = ?`, [merchant.id]);
    expect(rows.map((row) => row.id).sort()).toEqual(made.map((answer) => answer.body.id).sort());
    const entries = await sql(`select count(*)::int as n from ledger_entries where merchant_id = ? and source_type = 'payout'`, [
      merchant.id,
    ]);
    expect(entries[0].n).toBe(10);
    await expectLedgerBalanced(stack.orm);
  });

  it('when a request is retried with its Idempotency-Key, then the same payout answers and the balance is taken once', async () => {
    const { merchant, bankAccountId } = await merchantWithAccount(100_000, { payout_fee_minor: 50 });
    const first = await post(merchant, '/v1/payouts', { amount: 120.5, currency: 'eur', description: 'June' }, 'payout-once');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      id: expect.stringMatching(/^po_[0-9A-Za-z]{22}$/),
      amount: 120.5,
      fee: 0.5,
      currency: 'EUR',
      status: 'pending',
      bank_account: bankAccountId,
      bank_account_last4: '3000',
      automatic: false,
      description: 'June',
      arrival_date: null,
      bank_reference: null,
      returned: false,
    });
    const again = await post(merchant, '/v1/payouts', { amount: '120.50', currency: 'EUR', description: 'June' }, 'payout-once');
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(await availableMinor(merchant.id)).toBe(100_000 - 12_050 - 50);
    const reused = await post(merchant, '/v1/payouts', { amount: 1, currency: 'EUR' }, 'payout-once');
    expect(reused.status).toBe(422);

    expect((await get(merchant, `/v1/payouts/${first.body.id}`)).body).toEqual(first.body);
    const balance = (await get(merchant, '/v1/balance')).body;
    expect(balance.available).toEqual([{ amount: 1000 - 120.5 - 0.5, currency: 'EUR' }]);
    const history = (await get(merchant, `/v1/balance_transactions?type=payout`)).body.data;
    expect(history).toEqual([expect.objectContaining({ type: 'payout', source: first.body.id, amount: -120.5, fee: 0.5, net: -121 })]);
  });

  it('when canceled while pending, then 200 canceled and the amount and fee are available again; a second cancel answers the same', async () => {
    const { merchant } = await merchantWithAccount(10_000, { payout_fee_minor: 25 });
    const payout = (await post(merchant, '/v1/payouts', { amount: 40, currency: 'EUR' })).body;
    expect(await availableMinor(merchant.id)).toBe(10_000 - 4_025);
    const canceled = await post(merchant, `/v1/payouts/${payout.id}/cancel`, {});
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ id: payout.id, status: 'canceled' });
    expect(await availableMinor(merchant.id)).toBe(10_000);
    expect((await post(merchant, `/v1/payouts/${payout.id}/cancel`, {})).body).toMatchObject({ status: 'canceled' });
    const listed = (await get(merchant, '/v1/payouts?status=canceled')).body;
    expect(listed).toMatchObject({ object: 'list', has_more: false });
    expect(listed.data.map((row: { id: string }) => row.id)).toEqual([payout.id]);
    expect((await get(merchant, '/v1/payouts?status=pending')).body.data).toEqual([]);
    await expectLedgerBalanced(stack.orm);
  });

  it('when the input is wrong, then a 400 names the field and nothing is written', async () => {
    const { merchant, bankAccountId } = await merchantWithAccount(10_000);
    const cases: [unknown, string, string][] = [
      [{ currency: 'EUR' }, 'amount', 'parameter_missing'],
      [{ amount: 1.001, currency: 'EUR' }, 'amount', 'parameter_invalid'],
      [{ amount: -5, currency: 'EUR' }, 'amount', 'parameter_invalid'],
      [{ amount: 5, currency: 'XXX' }, 'currency', 'parameter_invalid'],
      [{ amount: 5, currency: 'USD' }, 'bank_account', 'bank_account_missing'],
      [{ amount: 5, currency: 'USD', bank_account: bankAccountId }, 'currency', 'parameter_invalid'],
      [{ amount: 5, currency: 'EUR', bank_account: 'ba_nope' }, 'bank_account', 'resource_missing'],
      [{ amount: 100.01, currency: 'EUR' }, 'amount', 'balance_insufficient'],
      [{ amount: 5, currency: 'EUR', destination: 'x' }, 'destination', 'parameter_unknown'],
    ];
    for (const [body, param, code] of cases) {
      const answer = await post(merchant, '/v1/payouts', body);
      expect({ body, status: answer.status, param: answer.body.param, code: answer.body.code }).toEqual({ body, status: 400, param, code });
    }
    expect(await sql(`select id from payouts where merchant_id = ?`, [merchant.id])).toEqual([]);
    expect(await availableMinor(merchant.id)).toBe(10_000);
  });

  it("when ops pause the merchant's payouts, then POST /v1/payouts answers 400 payouts_paused and writes nothing; after resume it pays out", async () => {
    const { merchant } = await merchantWithAccount(10_000);
    const admin = (action: string) =>
      stack.request('POST', `/v1/admin/merchants/${merchant.id}/payouts/${action}`, {
        apiKey: TEST_ADMIN_KEY,
        body: action === 'pause' ? { reason: 'KYC review' } : {},
      });
    expect((await admin('pause')).status).toBe(200);
    const refused = await post(merchant, '/v1/payouts', { amount: 10, currency: 'EUR' });
    expect(refused).toMatchObject({ status: 400, body: { code: 'payouts_paused' } });
    expect(await sql(`select id from payouts where merchant_id = ?`, [merchant.id])).toEqual([]);
    expect(await availableMinor(merchant.id)).toBe(10_000);
    expect((await admin('resume')).status).toBe(200);
    expect((await post(merchant, '/v1/payouts', { amount: 10, currency: 'EUR' })).status).toBe(201);
  });

  it('when another merchant asks for a payout, then 404; a deleted bank account cannot be paid to', async () => {
    const { merchant, bankAccountId } = await merchantWithAccount(10_000);
    const payout = (await post(merchant, '/v1/payouts', { amount: 10, currency: 'EUR' })).body;
    const other = await stack.createMerchant('Someone else');
    expect((await get(other, `/v1/payouts/${payout.id}`)).status).toBe(404);
    expect((await post(other, `/v1/payouts/${payout.id}/cancel`, {})).status).toBe(404);
    expect((await get(other, '/v1/payouts')).body.data).toEqual([]);
    expect((await stack.request('DELETE', `/v1/bank_accounts/${bankAccountId}`, { apiKey: merchant.apiKey })).status).toBe(200);
    const refused = await post(merchant, '/v1/payouts', { amount: 10, currency: 'EUR', bank_account: bankAccountId });
    expect(refused).toMatchObject({ status: 400, body: { param: 'bank_account' } });
  });
});

describe('a payout no worker has taken up yet', () => {
  let slow: TestStack;
  useTestStack((started) => ({ stack: slow } = started), { env: { PAYMENT_SYNC_WAIT: '1s' } });

  it('when the balance check has not run before the wait ends, then 202 pending, nothing reserved yet; the same key later answers 201 with that payout', async () => {
    const merchant = await slow.createMerchant('Slow payouts');
    expect((await slow.request('POST', '/v1/bank_accounts', { apiKey: merchant.apiKey, body: GERMAN })).status).toBe(201);
    await makeAvailable(slow.orm, merchant.id, 'EUR', 10_000);
    const send = () =>
      slow.request('POST', '/v1/payouts', {
        apiKey: merchant.apiKey,
        body: { amount: 30, currency: 'EUR' },
        headers: { 'Idempotency-Key': 'slow-payout' },
      });
    await slow.stopWorker();
    const accepted = await send();
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ id: expect.stringMatching(/^po_/), status: 'pending', amount: 30 });
    // Not a payout yet: no row, nothing taken from the balance.
    expect((await slow.request('GET', `/v1/payouts/${accepted.body.id}`, { apiKey: merchant.apiKey })).status).toBe(404);
    const [row] = await slow.orm.em
      .getConnection()
      .execute(`select balance_minor from ledger_account_balances where account = ?`, [ledgerAccounts.merchantAvailable(merchant.id)]);
    expect(Number(row.balance_minor)).toBe(10_000);

    await slow.startWorker();
    const decided = await send();
    expect(decided.status).toBe(201);
    expect(decided.body).toMatchObject({ id: accepted.body.id, status: 'pending' });
    expect((await slow.request('GET', `/v1/payouts/${accepted.body.id}`, { apiKey: merchant.apiKey })).status).toBe(200);
  });
});
