import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, type AuthorizeRequest } from '../../src/gateways/payment-gateway';
import { startStripeFake, type StripeFake } from '../../src/gateways/stripe/stripe-fake';
import { StripeGateway, type StripeGatewayOptions, type VaultCard } from '../../src/gateways/stripe/stripe-gateway';
import type { PaymentFailureType } from '../../src/shared/failure-types';
import { newId } from '../../src/shared/ids';
import { startWebhookReceiver } from '../support/webhook-receiver';

// The real adapter over HTTP against the stateful Stripe fake: what Stripe does with each call, not only whether it accepts it.
const KEY = 'sk_test_behaviourSuiteKey0001';
const WEBHOOK_SECRET = 'whsec_behaviourSuiteSecret';
const VAULT: Record<string, VaultCard> = {
  tok_vaultVisa0000000000000001: { number: '4242424242424242', expMonth: 12, expYear: 2040 },
  tok_vaultFunds000000000000001: { number: '4000000000009995', expMonth: 12, expYear: 2040 },
};

let fake: StripeFake;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let gateway: StripeGateway;

const gatewayFor = (secretKey: string, extra: Partial<StripeGatewayOptions> = {}) =>
  new StripeGateway({
    secretKey,
    livemode: false,
    apiBase: { host: fake.host, port: fake.port, protocol: 'http' },
    timeoutMs: 5000,
    ...extra,
  });

function authorization(source: string, overrides: Partial<AuthorizeRequest> = {}): AuthorizeRequest {
  const paymentId = newId('pay');
  return { idempotencyKey: `${paymentId}:authorize`, paymentId, amountMinor: 1000, currency: 'USD', source, capture: false, ...overrides };
}

const lookup = (request: AuthorizeRequest, reference: string | null = null) => gateway.lookupAuthorization({ ...request, reference });

async function failureOf(promise: Promise<unknown>): Promise<PaymentFailureType> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error.failureType;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

const intentsOf = (request: AuthorizeRequest) => fake.paymentIntentsByMetadata('ledgerflow_payment_id', request.paymentId);

beforeAll(async () => {
  receiver = await startWebhookReceiver({});
  fake = await startStripeFake({ disputeDelayMs: 20, refundSettleDelayMs: 20 });
  fake.addAccount({ secretKey: KEY, webhookSecret: WEBHOOK_SECRET, webhookUrl: receiver.url('/stripe') });
  gateway = gatewayFor(KEY, {
    isVaultToken: (source) => source.startsWith('tok_vault'),
    openCard: (_merchant, token) => Promise.resolve(VAULT[token]),
  });
});
afterEach(() => fake.clearFaults());
afterAll(async () => {
  await fake?.stop();
  await receiver?.close();
});

describe('Stripe adapter against the Stripe fake', () => {
  it('when a card is approved for a manual capture, then it is authorized by exactly one PaymentIntent in requires_capture', async () => {
    const request = authorization('pm_card_visa');
    await expect(gateway.authorize(request)).resolves.toMatchObject({ status: 'authorized', capturedMinor: 0 });
    const intents = intentsOf(request);
    expect(intents).toHaveLength(1);
    expect(intents[0]).toMatchObject({ status: 'requires_capture', amount_capturable: 1000, capture_method: 'manual', currency: 'usd' });
  });

  it('when a sale is approved (automatic capture), then it is captured in full at once', async () => {
    const request = authorization('pm_card_mastercard', { capture: true, amountMinor: 2500 });
    const result = await gateway.authorize(request);
    expect(result).toMatchObject({ status: 'captured', capturedMinor: 2500 });
    expect(fake.totals(result.reference)).toMatchObject({ captured: 2500, refunded: 0 });
  });

  it('when the source is a Stripe test token or a vault card, then the adapter makes a PaymentMethod first and charges it', async () => {
    await expect(gateway.authorize(authorization('tok_visa'))).resolves.toMatchObject({ status: 'authorized' });
    const vault = authorization('tok_vaultVisa0000000000000001', { merchantId: 'mer_behaviour' });
    await expect(gateway.authorize(vault)).resolves.toMatchObject({ status: 'authorized' });
    const created = fake.requestLog().filter((entry) => entry.idempotencyKey === `${vault.idempotencyKey}:payment_method`);
    expect(created.map((entry) => [entry.path, entry.status])).toEqual([['/v1/payment_methods', 200]]);
  });

  describe.each([
    ['pm_card_chargeDeclined', 'CardDeclined'],
    ['tok_chargeDeclined', 'CardDeclined'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'InsufficientFunds'],
    ['tok_vaultFunds000000000000001', 'InsufficientFunds'],
    ['pm_card_chargeDeclinedVelocityLimitExceeded', 'InsufficientFunds'],
    ['pm_card_chargeDeclinedExpiredCard', 'ExpiredCard'],
    ['pm_card_chargeDeclinedLostCard', 'LostOrStolenCard'],
    ['pm_card_chargeDeclinedStolenCard', 'LostOrStolenCard'],
    ['pm_card_radarBlock', 'LostOrStolenCard'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'IncorrectCvc'],
    ['pm_card_chargeDeclinedProcessingError', 'ProcessingError'],
  ] as const)('when Stripe declines %s', (source, failureType) => {
    it(`then the authorization fails as ${failureType}, and status sync reads the same decline`, async () => {
      const request = authorization(source, { merchantId: 'mer_behaviour' });
      expect(await failureOf(gateway.authorize(request))).toBe(failureType);
      const [intent] = intentsOf(request);
      expect(intent).toMatchObject({ status: 'requires_payment_method', payment_method: null });
      expect(intent.last_payment_error?.type).toBe('card_error');
      await expect(lookup(request)).resolves.toEqual({ outcome: 'declined', reference: intent.id, failureType });
    });
  });

  it('when part of an authorization is captured, then only that part is captured and the rest released', async () => {
    const { reference } = await gateway.authorize(authorization('pm_card_visa'));
    await expect(gateway.capture({ idempotencyKey: 'cap_partial:capture', reference, amountMinor: 600, currency: 'USD' })).resolves.toEqual(
      {
        reference,
        capturedMinor: 600,
      },
    );
    expect(fake.paymentIntent(reference)).toMatchObject({ status: 'succeeded', amount_received: 600, amount_capturable: 0 });
    expect(fake.charges({ paymentIntent: reference })[0]).toMatchObject({ amount_captured: 600, amount_refunded: 400, captured: true });
  });

  it('when an authorization is voided, then the PaymentIntent is canceled, and a retried void replays the same answer', async () => {
    const { reference } = await gateway.authorize(authorization('pm_card_visa'));
    const voided = { idempotencyKey: `${reference}:void`, reference, amountMinor: 1000, currency: 'USD' };
    await expect(gateway.void(voided)).resolves.toEqual({ reference });
    await expect(gateway.void(voided)).resolves.toEqual({ reference });
    expect(fake.paymentIntent(reference)?.status).toBe('canceled');
    expect(
      fake
        .requestLog()
        .filter((entry) => entry.idempotencyKey === voided.idempotencyKey)
        .map((entry) => entry.replayed),
    ).toEqual([false, true]);
  });

  it('when a capture is refunded in parts, then each refund counts once and one too many is RefundExceedsAvailable', async () => {
    const { reference } = await gateway.authorize(authorization('pm_card_visa', { capture: true }));
    const refund = (key: string, amountMinor: number) =>
      gateway.refund({ idempotencyKey: `${key}:refund`, reference, amountMinor, currency: 'USD' });
    const first = await refund('re_behaviour1', 300);
    await expect(refund('re_behaviour1', 300)).resolves.toEqual(first);
    await refund('re_behaviour2', 500);
    expect(await failureOf(refund('re_behaviour3', 300))).toBe('RefundExceedsAvailable');
    await refund('re_behaviour4', 200);
    expect(await failureOf(refund('re_behaviour5', 1))).toBe('RefundExceedsAvailable');
    expect(fake.totals(reference)).toMatchObject({ captured: 1000, refunded: 1000 });
    expect(fake.refunds({ paymentIntent: reference })).toHaveLength(3);
  });

  it('when Stripe settles a refund later, then the refund is pending, and reading it back says pending until it succeeds', async () => {
    const request = authorization('pm_card_pendingRefund', { capture: true });
    const { reference } = await gateway.authorize(request);
    const refund = await gateway.refund({ idempotencyKey: 're_behaviourPending:refund', reference, amountMinor: 400, currency: 'USD' });
    expect(refund).toEqual({ reference: expect.stringMatching(/^re_/), status: 'pending' });
    expect(await gateway.lookupRefund(refund.reference)).toEqual({ reference: refund.reference, status: 'pending' });
    await fake.idle();
    expect(await gateway.lookupRefund(refund.reference)).toEqual({ reference: refund.reference, status: 'succeeded' });
    // The events receiver's ownership check reads our payment id back from the PaymentIntent.
    expect(await gateway.paymentIdOf(reference)).toBe(request.paymentId);
    expect(await gateway.paymentIdOf('pi_notThere')).toBeNull();
  });

  it('when the card needs 3-D Secure, then the payment requires action until the customer authenticates, then it is authorized', async () => {
    const request = authorization('pm_card_authenticationRequired', { returnUrl: 'https://shop.example/return' });
    const result = await gateway.authorize(request);
    expect(result).toMatchObject({ status: 'requires_action', nextAction: { type: 'redirect_to_url' } });
    expect(result.nextAction?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/authenticate\/pi_/);
    await expect(lookup(request, result.reference)).resolves.toMatchObject({ outcome: 'requires_action', reference: result.reference });
    fake.completeAction(result.reference, { succeed: true });
    await expect(lookup(request, result.reference)).resolves.toEqual({
      outcome: 'authorized',
      reference: result.reference,
      capturedMinor: 0,
    });
  });

  it('when 3-D Secure is needed without a return URL and the customer fails it, then Stripe.js handles it and the payment is AuthenticationFailed', async () => {
    const request = authorization('pm_card_threeDSecure2Required');
    const result = await gateway.authorize(request);
    expect(result.nextAction).toEqual({ type: 'use_gateway_sdk', url: null });
    fake.completeAction(result.reference, { succeed: false });
    await expect(lookup(request, result.reference)).resolves.toMatchObject({ outcome: 'declined', failureType: 'AuthenticationFailed' });
  });

  it('when the answer to an authorization is lost after Stripe charged, then the outcome is unknown, status sync finds the one PaymentIntent, and a retry returns it', async () => {
    const request = authorization('pm_card_visa');
    // The SDK resends a reset connection once by itself (same key), so two lost answers reach the adapter as one.
    fake.injectFault({ operation: 'create_payment_intent', kind: 'lose_answer_after_commit', times: 2 });
    expect(await failureOf(gateway.authorize(request))).toBe('GatewayOutcomeUnknown');
    const [intent] = intentsOf(request);
    await expect(lookup(request)).resolves.toEqual({ outcome: 'authorized', reference: intent.id, capturedMinor: 0 });
    await expect(gateway.authorize(request)).resolves.toMatchObject({ reference: intent.id, status: 'authorized' });
    expect(intentsOf(request)).toHaveLength(1);
    expect(fake.charges({ paymentIntent: intent.id })).toHaveLength(1);
    const sent = fake.requestLog().filter((entry) => entry.idempotencyKey === request.idempotencyKey);
    expect(sent.map((entry) => [entry.outcome, entry.replayed])).toEqual([
      ['lost', false],
      ['lost', true],
      ['answered', true],
    ]);
  });

  it('when an authorization was never received, then status sync says not_found', async () => {
    const request = authorization('pm_card_visa');
    fake.injectFault({ operation: 'create_payment_intent', kind: 'connection_refused_before', times: 2 });
    expect(await failureOf(gateway.authorize(request))).toBe('GatewayOutcomeUnknown');
    await expect(lookup(request)).resolves.toEqual({ outcome: 'not_found' });
  });

  it('when Stripe saved a 500 for an authorization, then the same key replays the 500 and only status sync finds the charge', async () => {
    const request = authorization('pm_card_visa');
    fake.injectFault({ operation: 'create_payment_intent', kind: 'http_500_after_commit' });
    expect(await failureOf(gateway.authorize(request))).toBe('GatewayOutcomeUnknown');
    expect(await failureOf(gateway.authorize(request))).toBe('GatewayOutcomeUnknown');
    expect(
      fake
        .requestLog()
        .filter((entry) => entry.idempotencyKey === request.idempotencyKey)
        .map((entry) => [entry.status, entry.replayed]),
    ).toEqual([
      [500, false],
      [500, true],
    ]);
    const [intent] = intentsOf(request);
    await expect(lookup(request)).resolves.toEqual({ outcome: 'authorized', reference: intent.id, capturedMinor: 0 });
  });

  it('when captures meet a burst of 500s, then the adapter waits them out, and a 500 after the capture is resolved by its status sync', async () => {
    const first = await gateway.authorize(authorization('pm_card_visa'));
    const capture = { idempotencyKey: `${first.reference}:capture`, reference: first.reference, amountMinor: 1000, currency: 'USD' };
    fake.injectFault({ operation: 'capture', kind: 'http_500_before', times: 2 });
    expect(await failureOf(gateway.capture(capture))).toBe('GatewayTimeout');
    expect(await failureOf(gateway.capture(capture))).toBe('GatewayTimeout');
    await expect(gateway.capture(capture)).resolves.toEqual({ reference: first.reference, capturedMinor: 1000 });

    const second = await gateway.authorize(authorization('pm_card_visa'));
    const saved = { idempotencyKey: `${second.reference}:capture`, reference: second.reference, amountMinor: 700, currency: 'USD' };
    fake.injectFault({ operation: 'capture', kind: 'http_500_after_commit' });
    await expect(gateway.capture(saved)).resolves.toEqual({ reference: second.reference, capturedMinor: 700 });
    await expect(gateway.capture(saved)).resolves.toEqual({ reference: second.reference, capturedMinor: 700 });
    expect(fake.totals(second.reference).captured).toBe(700);
  });

  it('when a slow authorization times out and its retry overtakes it, then both are unknown, and the first still charges once', async () => {
    const request = authorization('pm_card_visa');
    fake.injectFault({ operation: 'create_payment_intent', kind: 'delay', ms: 400 });
    const impatient = gatewayFor(KEY, { timeoutMs: 150 });
    expect(await failureOf(impatient.authorize(request))).toBe('GatewayOutcomeUnknown');
    // Stripe answers 409 idempotency_key_in_use while the first request under the key is still running.
    expect(await failureOf(impatient.authorize(request))).toBe('GatewayOutcomeUnknown');
    await expect.poll(() => intentsOf(request).length).toBe(1);
    const result = await gateway.authorize(request);
    expect(intentsOf(request).map((intent) => intent.id)).toEqual([result.reference]);
    expect(
      fake
        .requestLog()
        .filter((entry) => entry.idempotencyKey === request.idempotencyKey)
        .map((entry) => entry.status),
    ).toEqual([200, 409, 200]);
  });

  it('when random faults are set for one operation, then only that operation meets them, drawn from the given random', async () => {
    fake.setRandomFaults({ rateLimit: 0.5, operations: ['capture'] }, () => 0.25);
    const { reference } = await gateway.authorize(authorization('pm_card_visa'));
    const capture = { idempotencyKey: `${reference}:capture`, reference, amountMinor: 1000, currency: 'USD' };
    expect(await failureOf(gateway.capture(capture))).toBe('GatewayRateLimited');
    fake.setRandomFaults({ rateLimit: 0.5, operations: ['capture'] }, () => 0.75);
    await expect(gateway.capture(capture)).resolves.toEqual({ reference, capturedMinor: 1000 });
  });

  it('when Stripe rate-limits, then the call is GatewayRateLimited and nothing happened', async () => {
    const request = authorization('pm_card_visa');
    fake.injectFault({ operation: 'create_payment_intent', kind: 'rate_limit' });
    expect(await failureOf(gateway.authorize(request))).toBe('GatewayRateLimited');
    expect(intentsOf(request)).toHaveLength(0);
    const { reference } = await gateway.authorize(request);
    fake.injectFault({ operation: 'capture', kind: 'rate_limit' });
    expect(
      await failureOf(gateway.capture({ idempotencyKey: `${reference}:capture`, reference, amountMinor: 1000, currency: 'USD' })),
    ).toBe('GatewayRateLimited');
    expect(fake.paymentIntent(reference)?.status).toBe('requires_capture');
  });

  it('when the key is unknown or the same key comes with other parameters, then the request is GatewayMisconfigured and the key is not repeated', async () => {
    const unknown = 'sk_test_notAnAccountOfTheFake9876';
    const error = await gatewayFor(unknown)
      .authorize(authorization('pm_card_visa'))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).failureType).toBe('GatewayMisconfigured');
    expect((error as GatewayError).message).not.toContain(unknown);
    const request = authorization('pm_card_visa');
    await gateway.authorize(request);
    expect(await failureOf(gateway.authorize({ ...request, amountMinor: 1001 }))).toBe('GatewayMisconfigured');
  });

  it('when two accounts use the same idempotency key, then each gets its own PaymentIntent and neither sees the other', async () => {
    const otherKey = 'sk_test_behaviourSuiteOther0002';
    fake.addAccount({ secretKey: otherKey });
    const other = gatewayFor(otherKey);
    const request = authorization('pm_card_visa');
    const mine = await gateway.authorize(request);
    const theirs = await other.authorize(request);
    expect(theirs.reference).not.toBe(mine.reference);
    await expect(other.lookupAuthorization({ ...request, reference: mine.reference })).resolves.toEqual({ outcome: 'not_found' });
  });

  it('when things happen, then signed events reach the endpoint and verify with the account secret, and a tampered one does not', async () => {
    const sale = await gateway.authorize(authorization('pm_card_createDispute', { capture: true }));
    const refunded = await gateway.authorize(authorization('pm_card_refundFail', { capture: true }));
    await gateway.refund({ idempotencyKey: 're_behaviourFails:refund', reference: refunded.reference, amountMinor: 1000, currency: 'USD' });
    await fake.idle();
    const [dispute] = fake.disputes({ paymentIntent: sale.reference });
    fake.closeDispute(dispute.id, 'lost');
    await fake.idle();
    expect(fake.totals(refunded.reference).refunded).toBe(0);

    const received = receiver.received('/stripe');
    const verified = received.map((delivery) =>
      Stripe.webhooks.constructEvent(delivery.body, delivery.headers['stripe-signature'], WEBHOOK_SECRET),
    );
    const types = verified.map((event) => event.type);
    expect(types).toEqual(
      expect.arrayContaining(['payment_intent.succeeded', 'charge.dispute.created', 'charge.dispute.closed', 'charge.refund.updated']),
    );
    // Other tests' refunds send their own updates to the same endpoint: this one's is the update of this PaymentIntent's refund.
    const refundUpdate = verified.find(
      (event) =>
        event.type === 'charge.refund.updated' && (event.data.object as { payment_intent?: string }).payment_intent === refunded.reference,
    );
    expect(refundUpdate?.data.object).toMatchObject({ object: 'refund', status: 'failed', payment_intent: refunded.reference });

    const one = received[0];
    expect(() =>
      Stripe.webhooks.constructEvent(
        one.body.replace('"livemode": false', '"livemode": true'),
        one.headers['stripe-signature'],
        WEBHOOK_SECRET,
      ),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => Stripe.webhooks.constructEvent(one.body, one.headers['stripe-signature'], 'whsec_someoneElse')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    const eventId = verified[0].id;
    await expect(fake.redeliver(eventId)).resolves.toMatchObject({ eventId, status: 200, attempt: 2 });
    expect(receiver.received('/stripe').filter((delivery) => delivery.body.includes(`"id": "${eventId}"`))).toHaveLength(2);
  });
});
