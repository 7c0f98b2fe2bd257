import { describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { useTimeSkippingEnvironment, type TimeSkippingEnvironment } from '../support/time-skipping';
import type { Orm } from '../../src/db/orm';
import { ledgerAccounts } from '../../src/ledger/ledger-accounts';
import { MerchantService } from '../../src/merchants/merchant-service';
import type { Merchant } from '../../src/merchants/merchant-record';
import { PayoutService } from '../../src/payouts/payout-service';
import type { CreatePayoutBody } from '../../src/payouts/payout-schemas';
import type { PayoutJson } from '../../src/payouts/payout-view';
import { payoutWorkflowId, type PayoutState } from '../../src/payouts/payout-state';
import { newId } from '../../src/shared/ids';
import { ApiError } from '../../src/shared/api-error';
import { getPayoutStateQuery, type payoutWorkflow } from '../../workflows/payout-workflow';
import { expectLedgerBalanced, makeAvailable } from '../support/ledger';
import { keepHistoryWhenRecording } from '../support/recorded-histories';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SUBMIT_DELAY = 10 * 60_000;
let env: TestWorkflowEnvironment;
let orm: Orm;
let withWorker: TimeSkippingEnvironment['withWorker'];
useTimeSkippingEnvironment((started) => ({ env, orm, withWorker } = started), { taskQueuePrefix: 'payouts' });

const sql = <T = Record<string, any>>(text: string, params: unknown[] = []) => orm.em.getConnection().execute<T[]>(text, params);

/** A merchant with `fundedMinor` available in EUR, a payout fee, and one bank account ending in `last4` (the sandbox bank's outcome). */
async function fixture(last4: string, fundedMinor = 100_000, payoutFeeMinor = 25): Promise<{ merchant: Merchant; bankAccountId: string }> {
  const { merchant } = await new MerchantService(orm).create({ name: 'Payouts', payoutFeeMinor });
  const bankAccountId = newId('ba');
  // As the API would have stored it; the number itself plays no part in a payout (only its last 4 does).
  await sql(
    `insert into bank_accounts (id, merchant_id, livemode, status, country, currency, account_holder_name, last4, fingerprint,
       number_key_id, number_ciphertext, default_for_currency, metadata, created_at, updated_at)
     values (?, ?, false, 'available', 'DE', 'EUR', 'Jo Merchant', ?, ?, 'k1', '\\x00', true, '{}', now(), now())`,
    [bankAccountId, merchant.id, last4, `fp_${bankAccountId}`],
  );
  await makeAvailable(orm, merchant.id, 'EUR', fundedMinor);
  return { merchant, bankAccountId };
}

function payouts(taskQueue: string): PayoutService {
  return new PayoutService({
    orm: orm as never,
    temporal: env.client,
    taskQueue,
    syncWaitMs: 30_000,
    timings: { submitDelayMs: SUBMIT_DELAY, returnWatch: { everyMs: DAY, forMs: 5 * DAY } },
  });
}

/** Makes the payout through the service, as POST /v1/payouts does, and expects its money reserved before the answer (201). */
async function decided(service: PayoutService, merchant: Merchant, body: CreatePayoutBody): Promise<PayoutJson> {
  const answer = await service.create(merchant, body);
  expect(answer.decided).toBe(true);
  return answer.payout;
}

async function available(merchantId: string): Promise<number> {
  const [row] = await sql(`select balance_minor from ledger_account_balances where account = ? and currency = 'EUR'`, [
    ledgerAccounts.merchantAvailable(merchantId),
  ]);
  return Number(row?.balance_minor ?? 0);
}

const row = async (id: string) => (await sql(`select status, returned, failure_code, bank_reference from payouts where id = ?`, [id]))[0];
const entryKeys = async (id: string) =>
  (await sql<{ idempotency_key: string }>(`select idempotency_key from ledger_entries where source_id = ? order by created_at`, [id])).map(
    (entry) => entry.idempotency_key,
  );
const eventTypes = async (id: string) =>
  (await sql<{ type: string }>(`select type from events where object_id = ? order by created_at, id`, [id])).map((event) => event.type);
const transactions = async (id: string) =>
  (
    await sql(`select type, amount_minor, fee_minor, net_minor from balance_transactions where source_id = ? order by created_at`, [id])
  ).map((t) => [t.type, Number(t.amount_minor), Number(t.fee_minor), Number(t.net_minor)]);
const recordHistory = (name: string, payoutId: string) => keepHistoryWhenRecording(handleOf(payoutId), name);
const handleOf = (id: string) => env.client.workflow.getHandle<typeof payoutWorkflow>(payoutWorkflowId(id));

describe('a payout, from the available balance to the bank', () => {
  it('when the bank pays it, then it goes pending → in_transit → paid and the money stays out of the available balance', async () => {
    const { merchant, bankAccountId } = await fixture('3000');
    await withWorker(async (taskQueue) => {
      const created = await decided(payouts(taskQueue), merchant, { amount: '400.00', currency: 'EUR', description: 'Weekly' });
      expect(created).toMatchObject({
        object: 'payout',
        status: 'pending',
        amount: 400,
        fee: 0.25,
        bank_account: bankAccountId,
        automatic: false,
      });
      expect(await available(merchant.id)).toBe(100_000 - 40_000 - 25);

      await env.sleep(SUBMIT_DELAY + 60_000);
      const sent = await handleOf(created.id).query(getPayoutStateQuery);
      expect(sent.status).toBe('in_transit');
      expect(await row(created.id)).toMatchObject({ status: 'in_transit', bank_reference: expect.stringMatching(/^sbt_/) });
      expect(await available(merchant.id)).toBe(100_000 - 40_025);

      const final: PayoutState = await handleOf(created.id).result();
      expect(final).toMatchObject({ status: 'paid', returned: false });
      await recordHistory('payout-paid', created.id);
    });
    expect(await row((await sql(`select id from payouts where merchant_id = ?`, [merchant.id]))[0].id)).toMatchObject({ status: 'paid' });
    const [{ id }] = await sql(`select id from payouts where merchant_id = ?`, [merchant.id]);
    expect(await available(merchant.id)).toBe(100_000 - 40_025);
    expect(await entryKeys(id)).toEqual([`payout:${id}`, `payout:${id}:paid`]);
    expect(await eventTypes(id)).toEqual(['payout.created', 'payout.updated', 'payout.paid']);
    expect(await transactions(id)).toEqual([['payout', -40_000, 25, -40_025]]);
    // This payout's money left transit for the bank: its in-transit postings net to zero, its bank posting is the amount.
    const legs = await sql(
      `select p.account, sum(p.amount_minor)::int as total from ledger_postings p join ledger_entries e on e.id = p.entry_id
        where e.source_id = ? and p.merchant_id is null group by p.account order by p.account`,
      [id],
    );
    expect(legs).toEqual([
      { account: 'platform:payout_bank:sandbox_bank', total: 40_000 },
      { account: 'platform:payout_fee_revenue', total: 25 },
      { account: 'platform:payouts_in_transit', total: 0 },
    ]);
    await expectLedgerBalanced(orm);
  });

  it('when the bank refuses the transfer, then the payout fails with its code and the amount and fee are available again', async () => {
    const { merchant } = await fixture('0002');
    const final = await withWorker(async (taskQueue) => {
      const created = await decided(payouts(taskQueue), merchant, { amount: 250, currency: 'EUR' });
      expect(await available(merchant.id)).toBe(100_000 - 25_025);
      const result = await handleOf(created.id).result();
      await recordHistory('payout-failed', created.id);
      return result;
    });
    expect(final).toMatchObject({ status: 'failed', failureCode: 'account_closed', returned: false });
    expect(await row(final.payoutId)).toMatchObject({ status: 'failed', failure_code: 'account_closed', returned: false });
    expect(await available(merchant.id)).toBe(100_000);
    expect(await entryKeys(final.payoutId)).toEqual([`payout:${final.payoutId}`, `payout:${final.payoutId}:failed`]);
    expect(await transactions(final.payoutId)).toEqual([
      ['payout', -25_000, 25, -25_025],
      ['payout_failure', 25_000, -25, 25_025],
    ]);
    expect(await eventTypes(final.payoutId)).toEqual(['payout.created', 'payout.updated', 'payout.failed']);
    await expectLedgerBalanced(orm);
  });

  it('when the bank returns a paid payout days later, then it becomes failed with returned true and the amount (not the fee) comes back', async () => {
    const { merchant } = await fixture('0009');
    const final = await withWorker(async (taskQueue) => {
      const created = await decided(payouts(taskQueue), merchant, { amount: 100, currency: 'EUR' });
      // Arrival is a day after sending: by then it is paid, and not yet returned (two days after arrival).
      await env.sleep(SUBMIT_DELAY + DAY + HOUR);
      expect(await row(created.id)).toMatchObject({ status: 'paid', returned: false });
      expect(await available(merchant.id)).toBe(100_000 - 10_025);
      const result = await handleOf(created.id).result();
      await recordHistory('payout-returned', created.id);
      return result;
    });
    expect(final).toMatchObject({ status: 'failed', returned: true, failureCode: 'account_closed' });
    expect(await row(final.payoutId)).toMatchObject({ status: 'failed', returned: true, failure_code: 'account_closed' });
    // The bank's value times, which reconciliation dates the movements by, are the ones the bank reported.
    const [times] = await sql(
      `select p.paid_at = t.arrives_at as paid_on_arrival, p.returned_at = t.returns_at as returned_on_return
         from payouts p join sandbox_bank_transfers t on t.payout_id = p.id where p.id = ?`,
      [final.payoutId],
    );
    expect(times).toEqual({ paid_on_arrival: true, returned_on_return: true });
    expect(await available(merchant.id)).toBe(100_000 - 25);
    expect(await entryKeys(final.payoutId)).toEqual([
      `payout:${final.payoutId}`,
      `payout:${final.payoutId}:paid`,
      `payout:${final.payoutId}:returned`,
    ]);
    expect(await transactions(final.payoutId)).toEqual([
      ['payout', -10_000, 25, -10_025],
      ['payout_failure', 10_000, 0, 10_000],
    ]);
    expect(await eventTypes(final.payoutId)).toEqual(['payout.created', 'payout.updated', 'payout.paid', 'payout.failed']);
    await expectLedgerBalanced(orm);
  });

  it('when canceled while pending, then nothing reaches the bank and the balance is whole again; once sent it can no longer be canceled', async () => {
    const { merchant } = await fixture('3000');
    await withWorker(async (taskQueue) => {
      const service = payouts(taskQueue);
      const first = await decided(service, merchant, { amount: 300, currency: 'EUR' });
      expect(await available(merchant.id)).toBe(100_000 - 30_025);
      const canceled = await service.cancel(merchant, first.id);
      expect(canceled).toMatchObject({ id: first.id, status: 'canceled' });
      expect(await available(merchant.id)).toBe(100_000);
      expect(await service.cancel(merchant, first.id)).toMatchObject({ status: 'canceled' });
      await handleOf(first.id).result();
      await recordHistory('payout-canceled', first.id);
      expect(await sql(`select 1 from sandbox_bank_transfers where payout_id = ?`, [first.id])).toEqual([]);
      expect(await entryKeys(first.id)).toEqual([`payout:${first.id}`, `payout:${first.id}:canceled`]);
      expect(await transactions(first.id)).toEqual([
        ['payout', -30_000, 25, -30_025],
        ['payout_cancel', 30_000, -25, 30_025],
      ]);

      const second = await decided(service, merchant, { amount: 300, currency: 'EUR' });
      await env.sleep(SUBMIT_DELAY + 60_000);
      const refused = await service.cancel(merchant, second.id).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ApiError);
      expect(refused).toMatchObject({ status: 400, code: 'payout_not_cancelable' });
      await handleOf(second.id).terminate('test over');
    });
    await expectLedgerBalanced(orm);
  });

  it('when 20 payout workflows reserve at once against a balance that covers 10, then the lock lets exactly 10 through', async () => {
    const { merchant, bankAccountId } = await fixture('3000', 10 * 5_025, 25);
    const results = await withWorker(async (taskQueue) => {
      // Straight to the workflows, past the API's unlocked pre-check: only the reservation's lock decides here.
      const handles = await Promise.all(
        Array.from({ length: 20 }, () => {
          const payoutId = newId('po');
          return env.client.workflow.start('payoutWorkflow', {
            taskQueue,
            workflowId: payoutWorkflowId(payoutId),
            args: [
              {
                payoutId,
                merchantId: merchant.id,
                livemode: false,
                amountMinor: 5_000,
                feeMinor: 25,
                currency: 'EUR',
                bankAccountId,
                bankAccountLast4: '3000',
                network: 'sandbox_bank',
                description: null,
                metadata: {},
                automatic: false,
                createdAt: new Date().toISOString(),
                submitDelayMs: SUBMIT_DELAY,
              },
            ],
          });
        }),
      );
      const decided = await Promise.all(handles.map((handle) => handle.executeUpdate<PayoutState, []>('waitForPayoutDecision')));
      for (const handle of handles) await handle.terminate('test over').catch(() => undefined);
      return decided;
    });
    expect(results.filter((state) => state.status === 'pending')).toHaveLength(10);
    expect(results.filter((state) => state.status === 'rejected').map((state) => state.failureCode)).toEqual(
      Array(10).fill('balance_insufficient'),
    );
    expect(await available(merchant.id)).toBe(0);
    expect((await sql(`select count(*)::int as n from payouts where merchant_id = ?`, [merchant.id]))[0].n).toBe(10);
    await expectLedgerBalanced(orm);
  });

  it('when the balance does not cover amount and fee, then 400 balance_insufficient names amount and nothing is written', async () => {
    const { merchant } = await fixture('3000', 10_000);
    await withWorker(async (taskQueue) => {
      const refused = await payouts(taskQueue)
        .create(merchant, { amount: 100, currency: 'EUR' })
        .catch((error: unknown) => error);
      expect(refused).toMatchObject({ status: 400, code: 'balance_insufficient', param: 'amount' });
    });
    expect(await sql(`select id from payouts where merchant_id = ?`, [merchant.id])).toEqual([]);
    expect(await available(merchant.id)).toBe(10_000);
  });
});
