import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import Stripe from 'stripe';
import { dependencyOutage } from '../../src/api/transient-failures';
import type { DisputeService } from '../../src/disputes/dispute-service';
import { StripeEventReceiver } from '../../src/gateways/stripe/stripe-event-receiver';
import { createLogger } from '../../src/logger';
import { createGatewayAccess, createGateways } from '../../src/services';
import { startStripeFake, type FakeEvent, type StripeFake } from '../../src/gateways/stripe/stripe-fake';
import { ledgerAccounts } from '../../src/ledger/ledger-accounts';
import { payoutWorkflowId } from '../../src/payouts/payout-state';
import { randomBase62 } from '../../src/shared/ids';
import { expectLedgerBalanced } from '../support/ledger';
import { stripePayoutMerchant, type StripePayoutMerchant } from '../support/stripe-payouts';
import { eventually, startTestStack, type TestStack } from '../support/test-stack';

/**
 * Stripe's payout events reaching `/v1/gateway_events/stripe/:account`: the real API, workflow and
 * activities against the Stripe fake, which sends its events to the account's endpoint. Payouts take a
 * day to arrive and are watched a week, so only an event that wakes the workflow settles one within a
 * test: the fake's clock is moved ahead (Stripe pays), and the workflow's clock is not.
 */

const DAY = 86_400_000;

let stack: TestStack;
let fake: StripeFake;
/** How far Stripe's clock runs ahead of ours. */
let stripeAhead = 0;

beforeAll(async () => {
  fake = await startStripeFake({
    now: () => Date.now() + stripeAhead,
    payoutInTransitAfterMs: 0,
    payoutTransitMs: DAY,
    payoutReturnAfterMs: 2 * DAY,
  });
  stack = await startTestStack({
    env: {
      STRIPE_API_BASE: fake.url,
      PAYOUT_SUBMIT_DELAY_MS: '200ms',
      PAYOUT_RETURN_CHECK_EVERY_MS: '1d',
      PAYOUT_RETURN_WATCH_MS: '7d',
    },
  });
});
afterAll(async () => {
  await stack?.close();
  await fake?.stop();
});

type StripeMerchant = StripePayoutMerchant & { webhookSecret: string };
/** A merchant with 1,000.00 USD available, and a verified Stripe account whose events reach our endpoint for it. */
const stripeMerchant = async (payoutAccountNumber?: string) =>
  (await stripePayoutMerchant(stack, fake, { name: 'Stripe payout events', payoutAccountNumber, events: true })) as StripeMerchant;

/** A payout of 40.00 USD through the merchant's Stripe account, once our side has sent it (in_transit). */
async function payoutInTransit(merchant: StripeMerchant): Promise<{ id: string; bank_reference: string }> {
  const created = await stack.request('POST', '/v1/payouts', {
    apiKey: merchant.apiKey,
    body: { amount: '40.00', currency: 'USD', gateway_account: merchant.account },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return statusOf(merchant, created.body.id, 'in_transit');
}

const getPayout = async (merchant: StripeMerchant, id: string) =>
  (await stack.request('GET', `/v1/payouts/${id}`, { apiKey: merchant.apiKey })).body;
const statusOf = (merchant: StripeMerchant, id: string, status: string, timeoutMs = 15_000) =>
  eventually(async () => {
    const payout = await getPayout(merchant, id);
    return payout.status === status ? payout : undefined;
  }, timeoutMs);

/** How often the workflow asked Stripe about this account's payouts. */
const statusReads = (merchant: StripeMerchant) =>
  fake.requestLog().filter((entry) => entry.account === merchant.stripeAccount && entry.operation === 'retrieve_payout').length;

/** Stripe's clock moves `ms` ahead; the payout changes then due happen, and their events are sent to our endpoints. */
async function stripeClockForward(ms: number): Promise<void> {
  stripeAhead += ms;
  fake.advancePayouts();
  await fake.idle();
}

function eventOf(merchant: StripeMerchant, type: string, payoutId: string): FakeEvent {
  const [event] = fake
    .events({ type, account: merchant.stripeAccount })
    .filter((candidate) => (candidate.data.object as { metadata?: Record<string, string> }).metadata?.ledgerflow_payout === payoutId);
  expect(event, `a ${type} event for ${payoutId}`).toBeDefined();
  return event;
}

/** Posts an event as Stripe does, signed with `secret` (none: no Stripe-Signature header). */
const postEvent = (account: string, body: string, secret?: string) =>
  stack.request('POST', `/v1/gateway_events/stripe/${account}`, {
    rawBody: body,
    headers: {
      'content-type': 'application/json',
      ...(secret ? { 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret }) } : {}),
    },
  });

describe('Stripe payout events', () => {
  it('when Stripe pays a payout and sends payout.paid, then the workflow asks Stripe at once and the payout is paid, a day before its own check', async () => {
    const merchant = await stripeMerchant();
    const sent = await payoutInTransit(merchant);
    expect(statusReads(merchant)).toBe(0);

    await stripeClockForward(DAY + 60_000);
    const paidEvent = eventOf(merchant, 'payout.paid', sent.id);
    expect(fake.deliveries(paidEvent.id).map((delivery) => delivery.status)).toEqual([200]);
    const paid = await statusOf(merchant, sent.id, 'paid');
    expect(paid).toMatchObject({ bank_reference: sent.bank_reference, returned: false });
    expect(statusReads(merchant)).toBeGreaterThanOrEqual(1);

    // Redelivered, it wakes the workflow (watching for a return) again: one more ask, nothing changes.
    const before = statusReads(merchant);
    const body = JSON.stringify(paidEvent);
    expect((await postEvent(merchant.account, body, merchant.webhookSecret)).body).toEqual({ received: true, action: 'payout_signalled' });
    await eventually(async () => statusReads(merchant) > before || undefined, 10_000);
    expect(await getPayout(merchant, sent.id)).toMatchObject({ status: 'paid', returned: false });
    await expectLedgerBalanced(stack.orm);
  });

  it('when a payout event is not about one of our payouts through this account, or its signature is wrong, then nothing is asked', async () => {
    const merchant = await stripeMerchant();
    const other = await stripeMerchant();
    const sent = await payoutInTransit(merchant);
    // Stripe moves it to in_transit and says so (payout.updated): the workflow asks once. Settled first, so that the asks
    // counted below are the posted events' alone.
    fake.advancePayouts();
    await fake.idle();
    await eventually(async () => statusReads(merchant) === 1 || undefined, 10_000);
    const before = statusReads(merchant);
    const event = (payout: Record<string, unknown>, type = 'payout.paid') =>
      JSON.stringify({ id: `evt_${randomBase62(24)}`, object: 'event', type, data: { object: { object: 'payout', ...payout } } });
    const ours = event({ id: sent.bank_reference, status: 'paid', metadata: { ledgerflow_payout: sent.id } });

    const unsigned = await postEvent(merchant.account, ours);
    expect(unsigned.status).toBe(400);
    expect((await postEvent(merchant.account, ours, 'whsec_not_the_accounts')).body).toMatchObject({ code: 'invalid_signature' });
    // Correctly signed by the other account, about this merchant's payout: not the other account's payout.
    expect((await postEvent(other.account, ours, other.webhookSecret)).body).toEqual({ received: true, action: 'ignored' });
    // Our metadata on a payout we did not send (made in the Dashboard, or its metadata copied), or no metadata at all.
    const copied = event({ id: `po_${randomBase62(24)}`, status: 'paid', metadata: { ledgerflow_payout: sent.id } });
    expect((await postEvent(merchant.account, copied, merchant.webhookSecret)).body).toEqual({ received: true, action: 'ignored' });
    const foreign = event({ id: sent.bank_reference, status: 'paid', metadata: {} });
    expect((await postEvent(merchant.account, foreign, merchant.webhookSecret)).body).toEqual({ received: true, action: 'ignored' });
    const unknown = event({ id: sent.bank_reference, status: 'paid', metadata: { ledgerflow_payout: 'po_nope' } });
    expect((await postEvent(merchant.account, unknown, merchant.webhookSecret)).body).toEqual({ received: true, action: 'ignored' });
    // A payout event we do not act on.
    const reconciled = event({ id: sent.bank_reference, metadata: { ledgerflow_payout: sent.id } }, 'payout.reconciliation_completed');
    expect((await postEvent(merchant.account, reconciled, merchant.webhookSecret)).body).toEqual({ received: true, action: 'ignored' });

    // The signed event about our payout wakes the workflow; Stripe (its clock not moved) still says in transit.
    expect((await postEvent(merchant.account, ours, merchant.webhookSecret)).body).toEqual({ received: true, action: 'payout_signalled' });
    await eventually(async () => statusReads(merchant) === before + 1 || undefined, 10_000);
    expect(await getPayout(merchant, sent.id)).toMatchObject({ status: 'in_transit' });

    // Once the workflow has finished, the event is acknowledged and ignored, so Stripe does not send it for days.
    await stack.client.workflow.getHandle(payoutWorkflowId(sent.id)).terminate('test: the payout workflow has finished');
    expect((await postEvent(merchant.account, ours, merchant.webhookSecret)).body).toEqual({ received: true, action: 'ignored' });
    expect(statusReads(merchant)).toBe(before + 1);
  });

  it('when Stripe reports a paid payout failed during the return watch, then payout.failed makes it returned, the money back, days early', async () => {
    const merchant = await stripeMerchant('000999999991');
    const sent = await payoutInTransit(merchant);
    await stripeClockForward(DAY + 60_000);
    await statusOf(merchant, sent.id, 'paid');

    await stripeClockForward(2 * DAY);
    const failedEvent = eventOf(merchant, 'payout.failed', sent.id);
    expect(fake.deliveries(failedEvent.id).map((delivery) => delivery.status)).toEqual([200]);
    const returned = await statusOf(merchant, sent.id, 'failed');
    expect(returned).toMatchObject({ returned: true, failure_code: 'account_closed' });
    const [row] = await stack.orm.em
      .getConnection()
      .execute(`select balance_minor from ledger_account_balances where account = ? and currency = 'USD'`, [
        ledgerAccounts.merchantAvailable(merchant.id),
      ]);
    expect(Number(row.balance_minor)).toBe(100_000);
    await expectLedgerBalanced(stack.orm);
  });

  it('when Temporal cannot be reached, then an event about our payout fails as an engine outage (503), so Stripe sends it again', async () => {
    const merchant = await stripeMerchant();
    const sent = await payoutInTransit(merchant);
    const body = JSON.stringify({
      id: `evt_${randomBase62(24)}`,
      object: 'event',
      type: 'payout.paid',
      data: { object: { id: sent.bank_reference, object: 'payout', status: 'paid', metadata: { ledgerflow_payout: sent.id } } },
    });
    // The API's own receiver, but with a Temporal that does not answer.
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200 });
    const access = createGatewayAccess(stack.config, stack.orm, createGateways(stack.orm));
    const receiver = new StripeEventReceiver({
      orm: stack.orm,
      temporal: new TemporalClient({ connection }),
      disputes: undefined as unknown as DisputeService,
      credentials: access.credentials,
      adapters: access.adapters,
      logger: createLogger('silent'),
    });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: merchant.webhookSecret });
    const error = await receiver.receive(merchant.account, body, signature).catch((failure: unknown) => failure);
    await connection.close().catch(() => undefined);
    expect(dependencyOutage(error)).toBe('temporal');
  }, 60_000);
});
