import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStripeFake, type StripeFake } from '../../src/gateways/stripe/stripe-fake';
import { StripePayoutNetwork } from '../../src/gateways/stripe/stripe-payouts';

// Payouts through the official SDK against the Stripe fake, its clock moved by hand as Temporal's skipped clock would move it.
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 0, 5, 12);

let clock = START;
let fake: StripeFake;
let keyCount = 0;

/** A fresh account (its own balance, payouts and events) and an SDK client for it. */
function newAccount(options: { payoutAccountNumber?: string; balance?: Record<string, number> } = {}) {
  const secretKey = `sk_test_payoutSuite${String(++keyCount).padStart(4, '0')}`;
  const { id } = fake.addAccount({ secretKey, balance: { usd: 100_000 }, ...options });
  const stripe = new Stripe(secretKey, { host: fake.host, port: fake.port, protocol: 'http', maxNetworkRetries: 0, timeout: 5000 });
  return { id, secretKey, stripe };
}

const available = async (stripe: Stripe, currency = 'usd') =>
  (await stripe.balance.retrieve()).available.find((entry) => entry.currency === currency)?.amount ?? 0;

const payoutEvents = (account: string) =>
  fake
    .events({ account })
    .filter((event) => event.type.startsWith('payout.'))
    .map((event) => [event.type, (event.data.object as Stripe.Payout).status]);

beforeAll(async () => {
  fake = await startStripeFake({ now: () => clock, autoSendEvents: false });
});
afterEach(() => {
  fake.clearFaults();
  clock = START;
});
afterAll(async () => {
  await fake?.stop();
});

describe('Stripe fake payouts', () => {
  it('when a payout is created, then it is pending, in transit after a minute, and paid at its arrival date', async () => {
    const { id, stripe } = newAccount();
    const payout = await stripe.payouts.create({ amount: 2500, currency: 'USD', description: 'Weekly payout', metadata: { k: 'v' } });
    expect(payout).toMatchObject({
      object: 'payout',
      amount: 2500,
      currency: 'usd',
      status: 'pending',
      automatic: false,
      method: 'standard',
      source_type: 'card',
      type: 'bank_account',
      description: 'Weekly payout',
      metadata: { k: 'v' },
      failure_code: null,
      failure_balance_transaction: null,
      arrival_date: Math.floor((START + DAY) / 1000),
    });
    expect(payout.id).toMatch(/^po_/);
    expect(payout.balance_transaction).toMatch(/^txn_/);
    expect(await available(stripe)).toBe(100_000 - 2500);

    clock += 60_000;
    expect((await stripe.payouts.retrieve(payout.id)).status).toBe('in_transit');
    clock = START + DAY - 1000;
    expect((await stripe.payouts.retrieve(payout.id)).status).toBe('in_transit');
    clock = START + DAY;
    expect((await stripe.payouts.retrieve(payout.id)).status).toBe('paid');
    expect(payoutEvents(id)).toEqual([
      ['payout.created', 'pending'],
      ['payout.updated', 'in_transit'],
      ['payout.paid', 'paid'],
    ]);
    expect(await available(stripe)).toBe(100_000 - 2500);
  });

  it.each([
    ['000111111116', 'no_account'],
    ['000111111113', 'account_closed'],
    ['000222222227', 'insufficient_funds'],
    ['000333333335', 'debit_not_authorized'],
    ['000444444440', 'invalid_currency'],
  ])('when the bank account is Stripe test number %s, then the payout fails with %s and the money comes back', async (number, code) => {
    const { id, stripe } = newAccount({ payoutAccountNumber: number });
    const payout = await stripe.payouts.create({ amount: 4000, currency: 'usd' });
    expect(await available(stripe)).toBe(96_000);
    clock += DAY;
    const failed = await stripe.payouts.retrieve(payout.id);
    expect(failed).toMatchObject({ status: 'failed', failure_code: code });
    expect(failed.failure_message).toEqual(expect.any(String));
    expect(failed.failure_balance_transaction).toMatch(/^txn_/);
    // Refused before its arrival date: it never read paid.
    const expanded = await stripe.payouts.retrieve(payout.id, { expand: ['failure_balance_transaction'] });
    expect((expanded.failure_balance_transaction as { created: number }).created).toBeLessThan(payout.arrival_date);
    expect(await available(stripe)).toBe(100_000);
    expect(payoutEvents(id).map(([type]) => type)).toEqual(['payout.created', 'payout.updated', 'payout.failed']);
  });

  it("when the bank account is the fake's paid-then-failed number, then the payout is paid at arrival and fails two days later", async () => {
    const { id, stripe } = newAccount({ payoutAccountNumber: '000999999991' });
    const payout = await stripe.payouts.create({ amount: 1000, currency: 'usd' });
    clock += DAY;
    expect((await stripe.payouts.retrieve(payout.id)).status).toBe('paid');
    expect(await available(stripe)).toBe(99_000);
    clock += 5 * DAY;
    expect(await available(stripe)).toBe(100_000);
    // The money came back when it was due (two days after arrival), however late the change was read.
    const returned = await stripe.payouts.retrieve(payout.id, { expand: ['failure_balance_transaction'] });
    expect(returned.failure_balance_transaction).toMatchObject({ type: 'payout_failure', amount: 1000, source: payout.id });
    expect((returned.failure_balance_transaction as { created: number }).created).toBe(payout.arrival_date + (2 * DAY) / 1000);
    expect(fake.payouts({ account: id })).toEqual([expect.objectContaining({ status: 'failed', failure_code: 'account_closed' })]);
    expect(payoutEvents(id)).toEqual([
      ['payout.created', 'pending'],
      ['payout.updated', 'in_transit'],
      ['payout.paid', 'paid'],
      ['payout.failed', 'failed'],
    ]);
  });

  it('when the amount is above the available balance, then Stripe refuses it with balance_insufficient and nothing is created', async () => {
    const { id, stripe } = newAccount({ balance: { usd: 500, eur: 10_000 } });
    const error = await stripe.payouts.create({ amount: 501, currency: 'usd' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', code: 'balance_insufficient' });
    expect((error as Error).message).toContain('You have insufficient funds in your Stripe account. ');
    expect(fake.payouts({ account: id })).toEqual([]);
    expect(await available(stripe)).toBe(500);
    expect(await available(stripe, 'eur')).toBe(10_000);
    expect(payoutEvents(id)).toEqual([]);
  });

  it('when the same Idempotency-Key is sent twice, then there is one payout and the second answer replays the first', async () => {
    const { id, stripe } = newAccount();
    const first = await stripe.payouts.create({ amount: 700, currency: 'usd' }, { idempotencyKey: 'po_a:transfer' });
    const second = await stripe.payouts.create({ amount: 700, currency: 'usd' }, { idempotencyKey: 'po_a:transfer' });
    expect(second.id).toBe(first.id);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(fake.payouts({ account: id })).toHaveLength(1);
    expect(await available(stripe)).toBe(99_300);
  });

  it('when the answer is lost after the payout was made, then a retry under the same key gets that payout, not a second one', async () => {
    const { id, stripe } = newAccount();
    // The SDK resends a reset connection once by itself (same key): two lost answers reach the caller as one.
    fake.injectFault({ operation: 'create_payout', kind: 'lose_answer_after_commit', times: 2 });
    const lost = await stripe.payouts
      .create({ amount: 900, currency: 'usd' }, { idempotencyKey: 'po_b:transfer' })
      .catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    const made = fake.payouts({ account: id });
    expect(made).toHaveLength(1);
    const retried = await stripe.payouts.create({ amount: 900, currency: 'usd' }, { idempotencyKey: 'po_b:transfer' });
    expect(retried.id).toBe(made[0].id);
    expect(fake.payouts({ account: id })).toHaveLength(1);
    const creates = fake.requestLog().filter((entry) => entry.account === id && entry.operation === 'create_payout');
    expect(creates.map((entry) => [entry.outcome, entry.replayed])).toEqual([
      ['lost', false],
      ['lost', true],
      ['answered', true],
    ]);
  });

  it('lists newest first, filtered by created[gte] and status, paged with starting_after', async () => {
    const { stripe } = newAccount();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push((await stripe.payouts.create({ amount: 100 + i, currency: 'usd' })).id);
      clock += 10_000;
    }
    const since = Math.floor((START + 10_000) / 1000);
    const page = await stripe.payouts.list({ created: { gte: since }, limit: 2 });
    expect(page.data.map((payout) => payout.id)).toEqual([ids[3], ids[2]]);
    expect(page.has_more).toBe(true);
    const rest = await stripe.payouts.list({ created: { gte: since }, limit: 2, starting_after: ids[2] });
    expect(rest.data.map((payout) => payout.id)).toEqual([ids[1]]);
    expect(rest.has_more).toBe(false);
    const back = await stripe.payouts.list({ limit: 1, ending_before: ids[1] });
    expect([back.data.map((payout) => payout.id), back.has_more]).toEqual([[ids[2]], true]);
    // 75 s after the first: the two made more than a minute ago are in transit, the others still pending.
    clock = START + 75_000;
    expect((await stripe.payouts.list({ status: 'pending' })).data.map((payout) => payout.id)).toEqual([ids[3], ids[2]]);
    await expect(stripe.payouts.list({ limit: 101 })).rejects.toMatchObject({ param: 'limit' });
  });

  it('when a pending payout is canceled, then it is canceled and the money comes back; once in transit it cannot be', async () => {
    const { id, stripe } = newAccount();
    const payout = await stripe.payouts.create({ amount: 3000, currency: 'usd' });
    const canceled = await stripe.payouts.cancel(payout.id);
    expect(canceled).toMatchObject({ status: 'canceled', failure_balance_transaction: expect.stringMatching(/^txn_/) });
    expect(await available(stripe)).toBe(100_000);
    const moving = await stripe.payouts.create({ amount: 3000, currency: 'usd' });
    clock += 60_000;
    await expect(stripe.payouts.cancel(moving.id)).rejects.toMatchObject({ statusCode: 400 });
    expect(fake.payouts({ account: id, status: 'in_transit' }).map((p) => p.id)).toEqual([moving.id]);
    expect(payoutEvents(id).map(([type]) => type)).toEqual(['payout.created', 'payout.canceled', 'payout.created', 'payout.updated']);
  });

  it('advancePayouts sends the due changes without a request', async () => {
    const { id, stripe } = newAccount();
    await stripe.payouts.create({ amount: 100, currency: 'usd' });
    clock += DAY;
    expect(fake.payouts({ account: id, status: 'paid' })).toHaveLength(0);
    fake.advancePayouts();
    expect(fake.payouts({ account: id, status: 'paid' })).toHaveLength(1);
    expect(fake.events({ account: id, type: 'payout.paid' })).toHaveLength(1);
  });

  it("expands destination into the account's test bank account, with the last4 of its number", async () => {
    const { secretKey, stripe } = newAccount({ payoutAccountNumber: '000111111116' });
    const payout = await stripe.payouts.create({ amount: 100, currency: 'usd', expand: ['destination'] });
    expect(payout.destination).toMatchObject({ object: 'bank_account', last4: '1116', bank_name: 'STRIPE TEST BANK', country: 'US' });
    const bankAccountId = (payout.destination as Stripe.BankAccount).id;
    expect(bankAccountId).toMatch(/^ba_/);
    fake.updateAccount(secretKey, { payoutAccountNumber: '000123456789' });
    const next = await stripe.payouts.retrieve((await stripe.payouts.create({ amount: 100, currency: 'usd' })).id, {
      expand: ['destination'],
    });
    expect(next.destination).toMatchObject({ last4: '6789' });
    expect((next.destination as Stripe.BankAccount).id).not.toBe(bankAccountId);
  });

  it('refuses instant payouts, other destinations and unknown parameters, creating nothing', async () => {
    const { id, stripe } = newAccount();
    await expect(stripe.payouts.create({ amount: 100, currency: 'usd', method: 'instant' })).rejects.toMatchObject({ param: 'method' });
    await expect(stripe.payouts.create({ amount: 100, currency: 'usd', destination: 'ba_other' })).rejects.toMatchObject({
      param: 'destination',
    });
    await expect(stripe.payouts.create({ amount: 100, currency: 'usd', source_type: 'bank_account' })).rejects.toMatchObject({
      param: 'source_type',
    });
    const unknown = { amount: 100, currency: 'usd', speed: 'fast' } as Stripe.PayoutCreateParams;
    await expect(stripe.payouts.create(unknown)).rejects.toMatchObject({ code: 'parameter_unknown', param: 'speed' });
    expect(fake.payouts({ account: id })).toEqual([]);
  });
});

describe('StripePayoutNetwork reading the fake', () => {
  const network = (secretKey: string) =>
    new StripePayoutNetwork({ secretKey, apiBase: { host: fake.host, port: fake.port, protocol: 'http' } });
  const request = (payoutId: string) => ({
    idempotencyKey: `${payoutId}:transfer`,
    payoutId,
    merchantId: 'mer_test',
    livemode: false,
    amountMinor: 1500,
    currency: 'USD',
    bankAccountId: null,
    bankAccountLast4: null,
    requestedAt: new Date(clock).toISOString(),
  });

  it('when a paid payout failed before anyone looked, then it still reads as returned, dated by Stripe, not as a refusal', async () => {
    const { secretKey } = newAccount({ payoutAccountNumber: '000999999991' });
    const sent = await network(secretKey).submitTransfer(request('po_late_look'));
    expect(sent).toMatchObject({ status: 'submitted', destinationLast4: '9991' });
    const reference = (sent as { reference: string }).reference;
    clock += 6 * DAY;
    expect(await network(secretKey).transferStatus(reference)).toEqual({
      status: 'returned',
      failureCode: 'account_closed',
      paidAt: new Date(START + DAY).toISOString(),
      returnedAt: new Date(START + 3 * DAY).toISOString(),
    });
  });

  it('when the bank refused it before its arrival date, then it reads as failed, even asked days later', async () => {
    const { secretKey } = newAccount({ payoutAccountNumber: '000111111113' });
    const sent = await network(secretKey).submitTransfer(request('po_refused'));
    clock += 6 * DAY;
    expect(await network(secretKey).transferStatus((sent as { reference: string }).reference)).toEqual({
      status: 'failed',
      failureCode: 'account_closed',
    });
  });
});
