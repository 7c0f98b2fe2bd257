import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeFake, type StripeFake } from '../../src/gateways/stripe/stripe-fake';
import { randomBase62 } from '../../src/shared/ids';
import { cancelPayment, capturePayment, createPayment, createRefund, getPayment, waitForPayment, type Caller } from '../support/api-calls';
import { expectLedgerBalanced } from '../support/ledger';
import { eventually, startTestStack, TEST_ADMIN_KEY, type TestMerchant, type TestStack } from '../support/test-stack';
import { csrfOf, FormBrowser } from '../support/form-browser';

let stack: TestStack;
let fake: StripeFake;

beforeAll(async () => {
  fake = await startStripeFake({ disputeDelayMs: 200 });
  stack = await startTestStack({ env: { STRIPE_API_BASE: fake.url } });
});
afterAll(async () => {
  await stack?.close();
  await fake?.stop();
});

interface StripeMerchant extends TestMerchant {
  account: string;
  secretKey: string;
  webhookSecret: string;
}

/** A merchant with a verified Stripe account at the fake, whose events reach our endpoint for that account. */
async function stripeMerchant(options: { livemode?: boolean; body?: Record<string, unknown> } = {}): Promise<StripeMerchant> {
  const merchant = options.livemode ? await liveMerchant() : await stack.createMerchant();
  const mode = options.livemode ? 'live' : 'test';
  const secretKey = `sk_${mode}_${randomBase62(24)}`;
  const webhookSecret = `whsec_${randomBase62(32)}`;
  fake.addAccount({ secretKey, webhookSecret });
  const created = await stack.request('POST', '/v1/gateway_accounts', {
    apiKey: merchant.apiKey,
    body: { gateway: 'stripe', credentials: { secret_key: secretKey, webhook_secret: webhookSecret }, ...options.body },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  fake.updateAccount(secretKey, { webhookUrl: `${stack.baseUrl}${created.body.webhook_url_path}` });
  return { ...merchant, account: created.body.id, secretKey, webhookSecret };
}

async function liveMerchant(): Promise<TestMerchant> {
  const live = await stack.request('POST', '/v1/merchants', { apiKey: TEST_ADMIN_KEY, body: { name: 'Live shop', livemode: true } });
  expect(live.status).toBe(201);
  return { id: live.body.id, apiKey: live.body.api_key };
}

const intentsOf = (paymentId: string) => fake.paymentIntentsByMetadata('ledgerflow_payment_id', paymentId);
const ledgerEntries = async (paymentId: string) =>
  (await stack.orm.em.getConnection().execute(`select id from ledger_entries where source_type = 'payment' and source_id = ?`, [paymentId]))
    .length;

describe('gateway accounts', () => {
  it('when credentials are missing, of the wrong mode or refused by Stripe, then 400 naming the field and nothing is stored', async () => {
    const merchant = await stack.createMerchant();
    const post = (body: unknown) => stack.request('POST', '/v1/gateway_accounts', { apiKey: merchant.apiKey, body });

    const missing = await post({ gateway: 'stripe', credentials: {} });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'parameter_missing', param: 'credentials.secret_key' });
    expect(missing.body.error).toContain('The following required fields are missing from the provided data: credentials.secret_key');

    const liveKey = await post({ gateway: 'stripe', credentials: { secret_key: `sk_live_${randomBase62(24)}` } });
    expect(liveKey.status).toBe(400);
    expect(liveKey.body).toMatchObject({ code: 'credentials_wrong_mode', param: 'credentials.secret_key' });

    const unknownKey = `sk_test_${randomBase62(24)}`;
    const refused = await post({ gateway: 'stripe', credentials: { secret_key: unknownKey }, currencies: ['usd'] });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'invalid_credentials', param: 'credentials' });
    expect(refused.body.error).toMatch(/^Invalid credentials for gateway: stripe for: USD \(.*Invalid API Key/);
    expect(JSON.stringify(refused.body)).not.toContain(unknownKey);

    const list = await stack.request('GET', '/v1/gateway_accounts', { apiKey: merchant.apiKey });
    expect(list.body.data).toEqual([]);
  });

  it('when a create is retried with its Idempotency-Key, then the same account comes back; other credentials under the key are refused', async () => {
    const merchant = await stack.createMerchant();
    const [first, second] = [`sk_test_${randomBase62(24)}`, `sk_test_${randomBase62(24)}`];
    fake.addAccount({ secretKey: first });
    fake.addAccount({ secretKey: second });
    const post = (secretKey: string) =>
      stack.request('POST', '/v1/gateway_accounts', {
        apiKey: merchant.apiKey,
        headers: { 'idempotency-key': 'connect-once' },
        body: { gateway: 'stripe', credentials: { secret_key: secretKey } },
      });
    const created = await post(first);
    const again = await post(first);
    expect([created.status, again.status]).toEqual([201, 201]);
    expect(again.body.id).toBe(created.body.id);
    expect((await post(second)).status).toBe(422);
    expect((await stack.request('GET', '/v1/gateway_accounts', { apiKey: merchant.apiKey })).body.data).toHaveLength(1);
  });

  it('when an account is created, changed and deleted, then its credentials never show, and another merchant gets 404', async () => {
    const merchant = await stripeMerchant({ body: { currencies: ['usd', 'EUR'], description: 'Main Stripe account' } });
    const got = await stack.request('GET', `/v1/gateway_accounts/${merchant.account}`, { apiKey: merchant.apiKey });
    expect(got.body).toMatchObject({
      object: 'gateway_account',
      gateway: 'stripe',
      livemode: false,
      status: 'verified',
      currencies: ['USD', 'EUR'],
      priority: 100,
      credentials_last4: merchant.secretKey.slice(-4),
      webhook_secret_configured: true,
      webhook_url_path: `/v1/gateway_events/stripe/${merchant.account}`,
    });
    expect(JSON.stringify(got.body)).not.toContain(merchant.secretKey);
    const [row] = await stack.orm.em.getConnection().execute(`select * from gateway_accounts where id = ?`, [merchant.account]);
    expect(JSON.stringify(row)).not.toContain(merchant.secretKey.slice(8));

    const patched = await stack.request('PATCH', `/v1/gateway_accounts/${merchant.account}`, {
      apiKey: merchant.apiKey,
      body: { priority: 5, currencies: ['GBP'] },
    });
    expect(patched.body).toMatchObject({ priority: 5, currencies: ['GBP'] });
    const wrongCurrency = await createPayment(stack, merchant, { amount: 10, source: 'pm_card_visa', raw: true });
    expect(wrongCurrency.status).toBe(400);
    expect(wrongCurrency.body).toMatchObject({ code: 'no_gateway_account', param: 'currency' });

    const other = await stack.createMerchant();
    expect((await stack.request('GET', `/v1/gateway_accounts/${merchant.account}`, { apiKey: other.apiKey })).status).toBe(404);
    expect((await stack.request('DELETE', `/v1/gateway_accounts/${merchant.account}`, { apiKey: other.apiKey })).status).toBe(404);

    const deleted = await stack.request('DELETE', `/v1/gateway_accounts/${merchant.account}`, { apiKey: merchant.apiKey });
    expect(deleted.body).toMatchObject({ status: 'disabled', disabled_at: expect.any(String) });
    const afterDelete = await createPayment(stack, merchant, { amount: 10, currency: 'GBP', source: 'pm_card_visa', raw: true });
    expect(afterDelete.body).toMatchObject({ code: 'no_gateway_account' });
  });
});

describe("routing between a merchant's accounts", () => {
  it("when a payment names one of the merchant's accounts, then it goes there instead of the first by priority; another merchant's or a disabled one is refused", async () => {
    const merchant = await stripeMerchant({ body: { priority: 1 } });
    const secondKey = `sk_test_${randomBase62(24)}`;
    fake.addAccount({ secretKey: secondKey });
    const second = await stack.request('POST', '/v1/gateway_accounts', {
      apiKey: merchant.apiKey,
      body: { gateway: 'stripe', credentials: { secret_key: secondKey }, priority: 2 },
    });
    expect(second.status).toBe(201);
    const byPriority = await createPayment(stack, merchant, { amount: 11, source: 'pm_card_visa', expectStatus: 'succeeded' });
    expect(byPriority.gateway_account).toBe(merchant.account);
    const named = await createPayment(stack, merchant, {
      amount: 12,
      source: 'pm_card_visa',
      gateway_account: second.body.id,
      expectStatus: 'succeeded',
    });
    expect(named.gateway_account).toBe(second.body.id);
    expect(intentsOf(named.id)).toHaveLength(1);

    const other = await stripeMerchant();
    const foreign = await createPayment(stack, merchant, { amount: 13, source: 'pm_card_visa', gateway_account: other.account, raw: true });
    expect(foreign.status).toBe(400);
    expect(foreign.body).toMatchObject({ code: 'resource_missing', param: 'gateway_account' });
    await stack.request('DELETE', `/v1/gateway_accounts/${second.body.id}`, { apiKey: merchant.apiKey });
    const disabled = await createPayment(stack, merchant, {
      amount: 14,
      source: 'pm_card_visa',
      gateway_account: second.body.id,
      raw: true,
    });
    expect(disabled.body).toMatchObject({ code: 'resource_missing', param: 'gateway_account' });
  });
});

describe("failover between a merchant's accounts", () => {
  it('when Stripe soft-declines, then the payment fails over to the next account and succeeds there once; a hard decline does not fail over', async () => {
    const merchant = await stripeMerchant({ body: { priority: 1 } });
    const sandbox = await stack.request('POST', '/v1/gateway_accounts', {
      apiKey: merchant.apiKey,
      body: { gateway: 'sandbox', priority: 2 },
    });
    expect(sandbox.status).toBe(201);
    const token = async (number: string) =>
      (
        await stack.request('POST', '/v1/tokens', {
          apiKey: merchant.apiKey,
          body: { card: { number, exp_month: 12, exp_year: 2034, cvc: '123' } },
        })
      ).body.id as string;
    // 4000000000000119 is a processing error at Stripe (a soft decline) and an ordinary card to the sandbox.
    const payment = await createPayment(stack, merchant, {
      amount: 21,
      source: await token('4000000000000119'),
      expectStatus: 'succeeded',
    });
    expect(payment).toMatchObject({ gateway: 'sandbox', gateway_account: sandbox.body.id, amount_received: 21 });
    expect(payment.attempts).toMatchObject([
      { gateway: 'stripe', gateway_account: merchant.account, outcome: 'declined', failure_code: 'processing_error', failed_over: true },
      { gateway: 'sandbox', gateway_account: sandbox.body.id, outcome: 'approved', failure_code: null, failed_over: false },
    ]);
    expect(intentsOf(payment.id)).toHaveLength(1);
    expect(fake.charges({ paymentIntent: intentsOf(payment.id)[0].id }).filter((charge) => charge.captured)).toHaveLength(0);
    expect(await ledgerEntries(payment.id)).toBe(1);
    // The refund goes to the account that holds the charge.
    await createRefund(stack, merchant, payment.id, { amount: 5, expectStatus: 'succeeded' });

    const hard = await createPayment(stack, merchant, { amount: 22, source: await token('4000000000000002'), expectStatus: 'failed' });
    expect(hard).toMatchObject({ gateway: 'stripe', failure_code: 'card_declined' });
    expect(hard.attempts).toMatchObject([{ gateway: 'stripe', outcome: 'declined', failed_over: false }]);
    await expectLedgerBalanced(stack.orm);
  });
});

describe('payments through Stripe', () => {
  it('when a payment is authorized, partly captured and refunded twice, then Stripe and the ledger agree at every step', async () => {
    const merchant = await stripeMerchant();
    const payment = await createPayment(stack, merchant, {
      amount: 50,
      source: 'pm_card_visa',
      capture: false,
      expectStatus: 'requires_capture',
    });
    expect(payment).toMatchObject({ gateway: 'stripe', gateway_account: merchant.account, livemode: false });
    expect(payment.gateway_reference).toMatch(/^pi_/);
    const [intent] = intentsOf(payment.id);
    expect(intent).toMatchObject({ id: payment.gateway_reference, status: 'requires_capture', capture_method: 'manual', amount: 5000 });

    const captured = await capturePayment(stack, merchant, payment.id, { amount: 40 });
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 40 });
    expect(fake.totals(intent.id)).toMatchObject({ captured: 4000 });

    await createRefund(stack, merchant, payment.id, { amount: 15, expectStatus: 'succeeded' });
    await createRefund(stack, merchant, payment.id, { amount: 25, expectStatus: 'succeeded' });
    const tooMuch = await createRefund(stack, merchant, payment.id, { amount: 1, raw: true });
    expect(tooMuch.status).toBe(400);
    expect(fake.refunds({ paymentIntent: intent.id }).map((refund) => refund.amount)).toEqual(expect.arrayContaining([1500, 2500]));
    expect(fake.totals(intent.id)).toMatchObject({ captured: 4000, refunded: 4000 });
    expect((await getPayment(stack, merchant, payment.id)).status).toBe('refunded');
    await expectLedgerBalanced(stack.orm);
  });

  it('when a vault card is charged through Stripe, then Stripe receives the card from the activity and the workflow only the token', async () => {
    const merchant = await stripeMerchant();
    const token = await stack.request('POST', '/v1/tokens', {
      apiKey: merchant.apiKey,
      body: { card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' } },
    });
    expect(token.status).toBe(201);
    const payment = await createPayment(stack, merchant, { amount: 12.5, source: token.body.id, expectStatus: 'succeeded' });
    const [intent] = intentsOf(payment.id);
    expect(intent).toMatchObject({ status: 'succeeded', amount_received: 1250 });
    expect(intent.payment_method).toMatch(/^pm_/);
    const history = JSON.stringify(await stack.client.workflow.getHandle(`payment-${payment.id}`).fetchHistory());
    expect(history).not.toContain('4242424242424242');
  });

  it("when Stripe accepts a refund as pending, then it stays pending until Stripe's event settles it", async () => {
    const merchant = await stripeMerchant();
    const payment = await createPayment(stack, merchant, { amount: 25, source: 'pm_card_pendingRefund', expectStatus: 'succeeded' });
    const created = await createRefund(stack, merchant, payment.id, { amount: 10, raw: true });
    expect(created.status).toBe(201);
    const settled = await eventually(async () => {
      const got = await stack.request('GET', `/v1/refunds/${created.body.id}`, { apiKey: merchant.apiKey });
      return got.body.status === 'succeeded' ? got.body : undefined;
    });
    expect(settled).toMatchObject({ amount: 10, status: 'succeeded' });
    const history = await stack.client.workflow.getHandle(`refund-${created.body.id}`).fetchHistory();
    const signals = (history.events ?? []).filter(
      (event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'gatewayRefundEvent',
    );
    // Stripe sends charge.refund.updated and refund.updated for the same change: each is a signal, the first one decides.
    expect(signals.length).toBeGreaterThan(0);
    expect(fake.refunds({ paymentIntent: payment.gateway_reference as string })).toMatchObject([{ amount: 1000, status: 'succeeded' }]);
    await expectLedgerBalanced(stack.orm);
  });

  it('when Stripe fails a refund after it succeeded, then ops are told (log and metric), and the recorded refund is not silently changed', async () => {
    const merchant = await stripeMerchant();
    const metric = async () => {
      const text = (await stack.request('GET', '/metrics', { apiKey: TEST_ADMIN_KEY })).body as unknown as string;
      const line = String(text)
        .split('\n')
        .find((row) => row.startsWith('gateway_refunds_failed_after_success_total{gateway="stripe"}'));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const before = await metric();
    const payment = await createPayment(stack, merchant, { amount: 25, source: 'pm_card_refundFail', expectStatus: 'succeeded' });
    const refund = await createRefund(stack, merchant, payment.id, { amount: 25, expectStatus: 'succeeded' });
    await eventually(async () => ((await metric()) > before ? true : undefined));
    expect((await stack.request('GET', `/v1/refunds/${refund.id}`, { apiKey: merchant.apiKey })).body.status).toBe('succeeded');
    expect(fake.refunds({ paymentIntent: payment.gateway_reference as string })).toMatchObject([{ status: 'failed' }]);
  });

  it('when Stripe declines, then the payment fails with the decline table code and nothing is posted', async () => {
    const merchant = await stripeMerchant();
    for (const [source, code] of [
      ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
      ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
      ['pm_card_chargeDeclinedProcessingError', 'processing_error'],
    ] as const) {
      const payment = await createPayment(stack, merchant, { amount: 20, source, expectStatus: 'failed' });
      expect(payment.failure_code).toBe(code);
      expect(await ledgerEntries(payment.id)).toBe(0);
    }
  });

  it('when an authorization is canceled, then the PaymentIntent is canceled at Stripe', async () => {
    const merchant = await stripeMerchant();
    const payment = await createPayment(stack, merchant, {
      amount: 30,
      source: 'pm_card_visa',
      capture: false,
      expectStatus: 'requires_capture',
    });
    expect(await cancelPayment(stack, merchant, payment.id)).toMatchObject({ status: 'canceled' });
    expect(intentsOf(payment.id)[0].status).toBe('canceled');
  });

  it("when the card needs 3-D Secure, then the payment waits in requires_action and Stripe's signed event decides it", async () => {
    const merchant = await stripeMerchant();
    const returnUrl = 'https://shop.example/return';
    const payment = await createPayment(stack, merchant, {
      amount: 70,
      source: 'pm_card_authenticationRequired',
      capture: false,
      return_url: returnUrl,
      expectStatus: 'requires_action',
    });
    expect(payment.next_action).toMatchObject({ type: 'redirect_to_url', redirect_to_url: { url: expect.stringMatching(/^https?:\/\//) } });
    fake.completeAction(payment.gateway_reference as string, { succeed: true });
    const authorized = await waitForPayment(stack, merchant, payment.id, 'requires_capture');
    expect(authorized.next_action).toBeNull();

    const failing = await createPayment(stack, merchant, {
      amount: 70,
      source: 'pm_card_authenticationRequired',
      return_url: returnUrl,
      expectStatus: 'requires_action',
    });
    fake.completeAction(failing.gateway_reference as string, { succeed: false });
    const failed = await waitForPayment(stack, merchant, failing.id, 'failed');
    expect(failed.failure_code).toBe('payment_intent_authentication_failure');
  });

  it("when a checkout session's customer pays through Stripe with a card that needs 3-D Secure, then the page sends them to Stripe's authentication and back to success_url", async () => {
    const merchant = await stripeMerchant();
    const created = await stack.request('POST', '/v1/checkout_sessions', {
      apiKey: merchant.apiKey,
      body: { amount: 64, currency: 'USD', success_url: 'https://shop.example/ok', cancel_url: 'https://shop.example/back' },
    });
    expect(created.status).toBe(201);
    const browser = new FormBrowser();
    const form = await browser.get(created.body.url);
    const paying = await browser.post(created.body.url, {
      card_number: '4000 0027 6000 3184',
      card_expiry: '12 / 34',
      card_cvc: '123',
      csrf_token: csrfOf(form.html),
    });
    // The page hands the customer to Stripe's own authentication page: the payment's next_action, as for the API-only flow.
    expect(paying.status).toBe(303);
    const session = (await stack.request('GET', `/v1/checkout_sessions/${created.body.id}`, { apiKey: merchant.apiKey })).body;
    expect(session).toMatchObject({ status: 'open', payment_status: 'requires_action' });
    const payment = await getPayment(stack, merchant, session.payment);
    expect(payment).toMatchObject({ status: 'requires_action', gateway: 'stripe', gateway_account: merchant.account });
    expect(paying.location).toBe(payment.next_action?.redirect_to_url?.url);
    fake.completeAction(payment.gateway_reference as string, { succeed: true });
    await waitForPayment(stack, merchant, payment.id, 'succeeded');
    // Stripe sends the customer back to the session's return page, which moves on to the merchant, signed as paid.
    const back = await browser.get(`${created.body.url}/return?payment_intent=${payment.gateway_reference}`);
    expect(back.status).toBe(200);
    const next = back.headers.get('refresh')?.replace(/^0; url=/, '') ?? '';
    expect(next.startsWith('https://shop.example/ok?')).toBe(true);
    expect(Object.fromEntries(new URL(next).searchParams)).toMatchObject({
      session_id: created.body.id,
      payment_status: 'paid',
      provider_payment_id: payment.gateway_reference,
    });
    expect((await stack.request('GET', `/v1/checkout_sessions/${created.body.id}`, { apiKey: merchant.apiKey })).body.status).toBe(
      'complete',
    );
  });

  it('when Stripe charged but its answer was lost, then status sync finds the charge: exactly one PaymentIntent, one ledger entry, succeeded', async () => {
    const merchant = await stripeMerchant();
    // Twice: the SDK itself resends once after a reset connection (under the same key), so the second loss is the one the adapter sees.
    fake.injectFault({ operation: 'create_payment_intent', kind: 'lose_answer_after_commit', times: 2 });
    const created = await createPayment(stack, merchant, { amount: 33, source: 'pm_card_visa', raw: true });
    const payment = await waitForPayment(stack, merchant, created.body.id, 'succeeded');
    const authorizeCalls = fake.requestLog().filter((entry) => entry.idempotencyKey === `${payment.id}:authorize`);
    expect(authorizeCalls.slice(0, 2)).toMatchObject([
      { outcome: 'lost', fault: 'lose_answer_after_commit' },
      { outcome: 'lost', fault: 'lose_answer_after_commit' },
    ]);
    // The workflow's status sync asked Stripe for the PaymentIntent by our metadata.
    expect(fake.requestLog().some((entry) => entry.path.startsWith('/v1/payment_intents/search') && entry.status === 200)).toBe(true);
    expect(intentsOf(payment.id)).toHaveLength(1);
    expect(fake.charges({ paymentIntent: payment.gateway_reference as string })).toHaveLength(1);
    expect(await ledgerEntries(payment.id)).toBe(1);
    await expectLedgerBalanced(stack.orm);
  });

  it('when Stripe answers a capture with 500s, then the capture still happens exactly once', async () => {
    const merchant = await stripeMerchant();
    const payment = await createPayment(stack, merchant, {
      amount: 45,
      source: 'pm_card_visa',
      capture: false,
      expectStatus: 'requires_capture',
    });
    fake.injectFault({ operation: 'capture', kind: 'http_500_before', times: 2 });
    expect(await capturePayment(stack, merchant, payment.id)).toMatchObject({ status: 'succeeded', amount_received: 45 });
    expect(fake.totals(payment.gateway_reference as string)).toMatchObject({ captured: 4500 });
  });

  it('when Stripe disputes a charge and rules on it, then our dispute opens and closes once, however often the events come', async () => {
    const merchant = await stripeMerchant();
    const payment = await createPayment(stack, merchant, { amount: 60, source: 'pm_card_createDispute', expectStatus: 'succeeded' });
    const dispute = await eventually(async () => {
      const list = await stack.request('GET', `/v1/disputes?payment_id=${payment.id}`, { apiKey: merchant.apiKey });
      return list.body.data?.[0];
    });
    expect(dispute).toMatchObject({ amount: 60, status: 'needs_response' });
    const [stripeDispute] = fake.disputes({ paymentIntent: payment.gateway_reference as string });
    const [created] = fake
      .events({ type: 'charge.dispute.created' })
      .filter((event) => (event.data.object as { id: string }).id === stripeDispute.id);
    await fake.redeliver(created.id);
    fake.closeDispute(stripeDispute.id, 'lost');
    await eventually(async () => {
      const got = await stack.request('GET', `/v1/disputes/${dispute.id}`, { apiKey: merchant.apiKey });
      return got.body.status === 'lost' ? got : undefined;
    });
    const list = await stack.request('GET', `/v1/disputes?payment_id=${payment.id}`, { apiKey: merchant.apiKey });
    expect(list.body.data).toHaveLength(1);
    await expectLedgerBalanced(stack.orm);
  });

  it('when an event is unsigned, signed with another secret, or for another account, then it is refused or ignored; a signed one counts once', async () => {
    const merchant = await stripeMerchant();
    const other = await stripeMerchant();
    const payment = await createPayment(stack, merchant, { amount: 10, source: 'pm_card_visa', expectStatus: 'succeeded' });
    const body = JSON.stringify({
      id: `evt_${randomBase62(24)}`,
      object: 'event',
      type: 'charge.dispute.created',
      data: {
        object: {
          id: `dp_${randomBase62(24)}`,
          object: 'dispute',
          payment_intent: payment.gateway_reference,
          amount: 1000,
          reason: 'fraudulent',
        },
      },
    });
    const post = (account: string, signature?: string) =>
      stack.request('POST', `/v1/gateway_events/stripe/${account}`, {
        rawBody: body,
        headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) },
      });
    expect((await post(merchant.account)).status).toBe(400);
    const { default: Stripe } = await import('stripe');
    const forged = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_not_the_accounts' });
    expect((await post(merchant.account, forged)).body).toMatchObject({ code: 'invalid_signature' });
    expect((await post('gwa_doesnotexist', forged)).status).toBe(404);
    // Correctly signed for the other account, about this merchant's payment: not the other account's to dispute.
    const signedByOther = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: other.webhookSecret });
    expect((await post(other.account, signedByOther)).body).toEqual({ received: true, action: 'ignored' });
    const signed = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: merchant.webhookSecret });
    expect((await post(merchant.account, signed)).body).toMatchObject({ received: true, action: 'dispute_opened' });
    expect((await post(merchant.account, signed)).body).toMatchObject({ received: true, action: 'dispute_opened' });
    const opened = await stack.request('GET', `/v1/disputes?payment_id=${payment.id}`, { apiKey: merchant.apiKey });
    expect(opened.body.data).toHaveLength(1);
  });
});

describe('disputes of charges made without us', () => {
  it('when the Stripe account is also used elsewhere and one of those charges is disputed, then the event is acknowledged and ignored', async () => {
    const merchant = await stripeMerchant();
    const { default: Stripe } = await import('stripe');
    const direct = new Stripe(merchant.secretKey, { host: fake.host, port: fake.port, protocol: 'http', maxNetworkRetries: 0 });
    const intent = await direct.paymentIntents.create({
      amount: 1500,
      currency: 'usd',
      confirm: true,
      payment_method: 'pm_card_visa',
      allowed_payment_method_types: ['card'],
    } as never);
    const dispute = fake.openDispute(intent.id);
    await fake.idle();
    const [created] = fake
      .events({ type: 'charge.dispute.created' })
      .filter((event) => (event.data.object as { id: string }).id === dispute.id);
    expect(fake.deliveries(created.id).map((delivery) => delivery.status)).toEqual([200]);
    const list = await stack.request('GET', '/v1/disputes', { apiKey: merchant.apiKey });
    expect(list.body.data).toEqual([]);
  });
});

describe('live mode', () => {
  it('when a live-mode merchant connects a live Stripe account, then its payments go there and say livemode true; test keys are refused', async () => {
    const testKeyForLive = await liveMerchant();
    const refused = await stack.request('POST', '/v1/gateway_accounts', {
      apiKey: testKeyForLive.apiKey,
      body: { gateway: 'stripe', credentials: { secret_key: `sk_test_${randomBase62(24)}` } },
    });
    expect(refused.body).toMatchObject({ code: 'credentials_wrong_mode' });
    const sandbox = await stack.request('POST', '/v1/gateway_accounts', { apiKey: testKeyForLive.apiKey, body: { gateway: 'sandbox' } });
    expect(sandbox.body).toMatchObject({ code: 'livemode_gateway_unavailable' });

    const merchant: Caller & StripeMerchant = await stripeMerchant({ livemode: true });
    const payment = await createPayment(stack, merchant, { amount: 25, source: 'pm_card_visa', expectStatus: 'succeeded' });
    expect(payment).toMatchObject({ livemode: true, gateway: 'stripe', gateway_account: merchant.account });
    expect(intentsOf(payment.id)[0]).toMatchObject({ livemode: true });
  });
});
