import { hmacValidator } from '@adyen/api-library';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADYEN_TEST_CARDS, startAdyenFake, type AdyenFake } from '../../src/gateways/adyen/adyen-fake';
import { randomBase62 } from '../../src/shared/ids';
import { cancelPayment, capturePayment, createPayment, createRefund, waitForPayment } from '../support/api-calls';
import { expectLedgerBalanced } from '../support/ledger';
import { eventually, startTestStack, type TestMerchant, type TestStack } from '../support/test-stack';

// Our Adyen adapter (the official library) against the in-repo fake of Adyen's Checkout API, whose
// HMAC-signed notifications reach our real endpoint; real Temporal and PostgreSQL behind it.
let stack: TestStack;
let fake: AdyenFake;

beforeAll(async () => {
  fake = await startAdyenFake({ chargebackDelayMs: 300 });
  stack = await startTestStack({
    env: { ADYEN_API_BASE: fake.url, PAYMENT_CONFIRMATION_TIMEOUT: '2s', PAYMENT_TECHNICAL_CANCEL_AFTER: '3s' },
  });
});
afterEach(() => {
  fake.clearFaults();
  fake.clearNotificationRules();
});
afterAll(async () => {
  await stack?.close();
  await fake?.stop();
});

interface AdyenMerchant extends TestMerchant {
  account: string;
  merchantAccount: string;
  hmacKey: string;
}

const hex = (bytes: number) =>
  Buffer.from(randomBase62(bytes))
    .toString('hex')
    .slice(0, bytes * 2)
    .toUpperCase();

/** A merchant with a verified Adyen account at the fake, whose notifications reach our endpoint for that account. */
async function adyenMerchant(body: Record<string, unknown> = {}): Promise<AdyenMerchant> {
  const merchant = await stack.createMerchant();
  const apiKey = `AQE_${randomBase62(30)}`;
  const merchantAccount = `Shop${randomBase62(8)}ECOM`;
  const hmacKey = hex(32);
  fake.addAccount({ apiKey, merchantAccount, hmacKey });
  const created = await stack.request('POST', '/v1/gateway_accounts', {
    apiKey: merchant.apiKey,
    body: { gateway: 'adyen', credentials: { api_key: apiKey, merchant_account: merchantAccount, hmac_key: hmacKey }, ...body },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  fake.setNotificationUrl(merchantAccount, `${stack.baseUrl}${created.body.webhook_url_path}`);
  return { ...merchant, account: created.body.id, merchantAccount, hmacKey };
}

async function vaultCard(merchant: TestMerchant, number: string): Promise<string> {
  const token = await stack.request('POST', '/v1/tokens', {
    apiKey: merchant.apiKey,
    body: { card: { number, exp_month: 12, exp_year: 2034, cvc: '123' } },
  });
  expect(token.status, JSON.stringify(token.body)).toBe(201);
  return token.body.id as string;
}

const adyenPayments = (paymentId: string) => fake.payments({ merchantReference: paymentId });

describe('Adyen accounts', () => {
  it('when credentials are missing or refused, then 400 naming the field and nothing is stored; a verified account never shows them', async () => {
    const merchant = await stack.createMerchant();
    const post = (body: unknown) => stack.request('POST', '/v1/gateway_accounts', { apiKey: merchant.apiKey, body });
    const missing = await post({ gateway: 'adyen', credentials: { api_key: `AQE_${randomBase62(20)}` } });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'parameter_missing' });
    expect(missing.body.error).toContain('credentials.merchant_account');
    expect(missing.body.error).toContain('credentials.hmac_key');

    const unknownKey = `AQE_${randomBase62(30)}`;
    const refused = await post({
      gateway: 'adyen',
      credentials: { api_key: unknownKey, merchant_account: 'NoSuchECOM', hmac_key: hex(32) },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'invalid_credentials', param: 'credentials' });
    expect(JSON.stringify(refused.body)).not.toContain(unknownKey);
    expect((await stack.request('GET', '/v1/gateway_accounts', { apiKey: merchant.apiKey })).body.data).toEqual([]);

    const adyen = await adyenMerchant();
    const got = await stack.request('GET', `/v1/gateway_accounts/${adyen.account}`, { apiKey: adyen.apiKey });
    expect(got.body).toMatchObject({
      gateway: 'adyen',
      status: 'verified',
      webhook_secret_configured: true,
      webhook_url_path: `/v1/gateway_events/adyen/${adyen.account}`,
    });
    const [row] = await stack.orm.em.getConnection().execute(`select * from gateway_accounts where id = ?`, [adyen.account]);
    expect(JSON.stringify(row)).not.toContain(adyen.hmacKey);
  });
});

describe('payments through Adyen', () => {
  it('when a payment is authorized, captured and refunded, then each modification is settled by its notification, duplicates change nothing', async () => {
    const merchant = await adyenMerchant();
    fake.notificationRule({ kind: 'duplicate', times: 10 });
    const source = await vaultCard(merchant, ADYEN_TEST_CARDS.visa);
    const payment = await createPayment(stack, merchant, {
      amount: 30,
      currency: 'EUR',
      source,
      capture: false,
      expectStatus: 'requires_capture',
    });
    expect(payment).toMatchObject({ gateway: 'adyen', gateway_account: merchant.account });
    const [atAdyen] = adyenPayments(payment.id);
    expect(atAdyen).toMatchObject({ pspReference: payment.gateway_reference, amount: { value: 3000, currency: 'EUR' } });

    const captured = await capturePayment(stack, merchant, payment.id, { amount: 20 });
    expect(['processing', 'succeeded']).toContain(captured.status);
    const succeeded = await waitForPayment(stack, merchant, payment.id, 'succeeded');
    expect(succeeded.amount_received).toBe(20);
    expect(fake.modifications({ paymentPspReference: atAdyen.pspReference, type: 'capture' })).toHaveLength(1);

    const refund = await createRefund(stack, merchant, payment.id, { amount: 5, raw: true });
    expect(refund.status).toBe(201);
    await eventually(async () => {
      const got = await stack.request('GET', `/v1/refunds/${refund.body.id}`, { apiKey: merchant.apiKey });
      return got.body.status === 'succeeded' ? got.body : undefined;
    });
    expect(fake.modifications({ paymentPspReference: atAdyen.pspReference, type: 'refund' })).toHaveLength(1);
    const stored = await stack.orm.em
      .getConnection()
      .execute(`select event_code from adyen_notifications where gateway_account_id = ? order by received_at`, [merchant.account]);
    // Each item once, however often it came.
    expect(stored.map((row) => row.event_code)).toEqual(['AUTHORISATION', 'CAPTURE', 'REFUND']);
    await expectLedgerBalanced(stack.orm);
  });

  it('when the CAPTURE notification is late, then the payment is processing, held for ops past the timeout, and succeeds when it comes', async () => {
    const merchant = await adyenMerchant();
    const source = await vaultCard(merchant, ADYEN_TEST_CARDS.mastercard);
    const payment = await createPayment(stack, merchant, {
      amount: 40,
      currency: 'EUR',
      source,
      capture: false,
      expectStatus: 'requires_capture',
    });
    fake.notificationRule({ kind: 'hold', eventCode: 'CAPTURE' });
    const captured = await capturePayment(stack, merchant, payment.id);
    expect(captured.status).toBe('processing');
    const again = await capturePayment(stack, merchant, payment.id, { raw: true });
    expect(again.status).toBe(409);
    const held = await waitForPayment(stack, merchant, payment.id, 'held');
    expect(held).toMatchObject({ hold_reason: 'gateway_confirmation_missing', amount_received: 0 });
    await fake.releaseHeld();
    expect(await waitForPayment(stack, merchant, payment.id, 'succeeded')).toMatchObject({ amount_received: 40, hold_reason: null });
    await expectLedgerBalanced(stack.orm);
  });

  it('when CAPTURE_FAILED arrives ahead of its CAPTURE, then the capture failed and nothing is booked', async () => {
    const merchant = await adyenMerchant();
    const source = await vaultCard(merchant, ADYEN_TEST_CARDS.captureFails);
    const payment = await createPayment(stack, merchant, {
      amount: 15,
      currency: 'EUR',
      source,
      capture: false,
      expectStatus: 'requires_capture',
    });
    fake.notificationRule({ kind: 'hold', eventCode: 'CAPTURE' });
    fake.notificationRule({ kind: 'hold', eventCode: 'CAPTURE_FAILED' });
    await capturePayment(stack, merchant, payment.id);
    await eventually(async () =>
      fake.notifications({ eventCode: 'CAPTURE_FAILED', pspReference: payment.gateway_reference! }).length ? true : undefined,
    );
    await fake.releaseHeld('reverse');
    const failed = await waitForPayment(stack, merchant, payment.id, 'failed');
    expect(failed).toMatchObject({ failure_code: 'capture_failed', amount_received: 0 });
    const entries = await stack.orm.em.getConnection().execute(`select id from ledger_entries where source_id = ?`, [payment.id]);
    expect(entries).toHaveLength(0);
  });

  it('when an authorization is canceled, then it is canceled once CANCELLATION confirms it', async () => {
    const merchant = await adyenMerchant();
    const source = await vaultCard(merchant, ADYEN_TEST_CARDS.visa);
    const payment = await createPayment(stack, merchant, {
      amount: 9,
      currency: 'EUR',
      source,
      capture: false,
      expectStatus: 'requires_capture',
    });
    await cancelPayment(stack, merchant, payment.id, { cancellation_reason: 'requested_by_customer' });
    expect(await waitForPayment(stack, merchant, payment.id, 'canceled')).toMatchObject({ cancellation_reason: 'requested_by_customer' });
    expect(adyenPayments(payment.id)[0].status).toBe('cancelled');
  });

  it('when Adyen asks for 3-D Secure, then the payment waits in requires_action and the AUTHORISATION notification decides it', async () => {
    const merchant = await adyenMerchant();
    const source = await vaultCard(merchant, ADYEN_TEST_CARDS.threeDs[0]);
    const waiting = await createPayment(stack, merchant, {
      amount: 18,
      currency: 'EUR',
      source,
      capture: false,
      return_url: 'https://shop.example/return',
      expectStatus: 'requires_action',
    });
    expect(waiting.next_action).toMatchObject({ type: 'redirect_to_url' });
    fake.completeAction(waiting.gateway_reference!, { succeed: true });
    expect(await waitForPayment(stack, merchant, waiting.id, 'requires_capture')).toMatchObject({ next_action: null });

    const refused = await createPayment(stack, merchant, {
      amount: 19,
      currency: 'EUR',
      source,
      return_url: 'https://shop.example/return',
      expectStatus: 'requires_action',
    });
    fake.completeAction(refused.gateway_reference!, { succeed: false });
    expect(await waitForPayment(stack, merchant, refused.id, 'failed')).toMatchObject({
      failure_code: 'payment_intent_authentication_failure',
    });
  });

  it('when the /payments answer is lost, then the AUTHORISATION notification decides the payment, charged once, and it never fails over', async () => {
    const merchant = await adyenMerchant({ priority: 1 });
    // An account to fail over to, which an unknown outcome must never use.
    const sandbox = await stack.request('POST', '/v1/gateway_accounts', {
      apiKey: merchant.apiKey,
      body: { gateway: 'sandbox', priority: 2 },
    });
    expect(sandbox.status).toBe(201);
    const source = await vaultCard(merchant, ADYEN_TEST_CARDS.visa);
    // The library does not resend; our activity retries under the same key, whose answer is lost again.
    fake.injectFault({ operation: 'payments', kind: 'lose_answer_after_commit', times: 3 });
    const created = await createPayment(stack, merchant, { amount: 12, currency: 'EUR', source, raw: true });
    const payment = await waitForPayment(stack, merchant, created.body.id, 'succeeded', { timeoutMs: 60_000 });
    expect(adyenPayments(payment.id)).toHaveLength(1);
    expect(payment.gateway_reference).toBe(adyenPayments(payment.id)[0].pspReference);
    expect(payment).toMatchObject({ gateway: 'adyen', gateway_account: merchant.account });
    expect(payment.attempts).toMatchObject([{ gateway: 'adyen', outcome: 'approved', failed_over: false }]);
  });

  it('when the /payments answer is lost and no notification comes, then a technical cancel cleans it up and the payment fails uncharged', async () => {
    const merchant = await adyenMerchant();
    const source = await vaultCard(merchant, ADYEN_TEST_CARDS.visa);
    fake.injectFault({ operation: 'payments', kind: 'lose_answer_after_commit', times: 3 });
    fake.notificationRule({ kind: 'drop', eventCode: 'AUTHORISATION' });
    const created = await createPayment(stack, merchant, { amount: 13, currency: 'EUR', source, capture: false, raw: true });
    const failed = await waitForPayment(stack, merchant, created.body.id, 'failed', { timeoutMs: 60_000 });
    expect(failed.failure_code).toBe('gateway_timeout');
    expect(fake.modifications({ type: 'technical_cancel', merchantAccount: merchant.merchantAccount })).toHaveLength(1);
    expect(adyenPayments(failed.id).map((p) => p.status)).toEqual(['cancelled']);
  });

  it('when a sale answer is lost and the technical cancel comes too late (already captured), then the payment waits for its AUTHORISATION and succeeds', async () => {
    const merchant = await adyenMerchant();
    const source = await vaultCard(merchant, ADYEN_TEST_CARDS.visa);
    fake.injectFault({ operation: 'payments', kind: 'lose_answer_after_commit', times: 3 });
    fake.notificationRule({ kind: 'hold', eventCode: 'AUTHORISATION' });
    const created = await createPayment(stack, merchant, { amount: 14, currency: 'EUR', source, raw: true });
    const paymentId = created.body.id as string;
    // The cancel is refused (the sale was captured at once); that proves nothing was undone, so nothing is concluded.
    await eventually(
      async () =>
        fake.notifications({ eventCode: 'TECHNICAL_CANCEL', merchantAccount: merchant.merchantAccount }).length ? true : undefined,
      30_000,
    );
    expect(fake.notifications({ eventCode: 'TECHNICAL_CANCEL', merchantAccount: merchant.merchantAccount })[0].item.success).toBe('false');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await stack.request('GET', `/v1/payments/${paymentId}`, { apiKey: merchant.apiKey })).body.status).toBe('processing');
    await fake.releaseHeld();
    const succeeded = await waitForPayment(stack, merchant, paymentId, 'succeeded', { timeoutMs: 60_000 });
    expect(succeeded.amount_received).toBe(14);
    expect(adyenPayments(paymentId)).toHaveLength(1);
    await expectLedgerBalanced(stack.orm);
  });

  it('when Adyen refuses with a soft decline, then the payment fails over to the next account; a hard decline does not', async () => {
    const merchant = await adyenMerchant({ priority: 1 });
    const sandbox = await stack.request('POST', '/v1/gateway_accounts', {
      apiKey: merchant.apiKey,
      body: { gateway: 'sandbox', priority: 2 },
    });
    expect(sandbox.status).toBe(201);
    const soft = await createPayment(stack, merchant, {
      amount: 11,
      currency: 'EUR',
      source: await vaultCard(merchant, ADYEN_TEST_CARDS.acquirerError),
      expectStatus: 'succeeded',
    });
    expect(soft).toMatchObject({ gateway: 'sandbox', gateway_account: sandbox.body.id });
    expect(soft.attempts).toMatchObject([
      { gateway: 'adyen', outcome: 'declined', failure_code: 'processing_error', failed_over: true },
      { gateway: 'sandbox', outcome: 'approved', failed_over: false },
    ]);
    expect(adyenPayments(soft.id).map((p) => p.status)).toEqual(['refused']);
    // The refund goes to the account that holds the charge: the sandbox, never Adyen.
    await createRefund(stack, merchant, soft.id, { amount: 4, expectStatus: 'succeeded' });
    expect(fake.modifications({ merchantAccount: merchant.merchantAccount, type: 'refund' })).toHaveLength(0);
    // Still rate-limited after the attempt's tries: Adyen acted on nothing, so the next account may try.
    fake.injectFault({ operation: 'payments', kind: 'rate_limit', times: 3 });
    const limited = await createPayment(stack, merchant, {
      amount: 13,
      currency: 'EUR',
      source: await vaultCard(merchant, ADYEN_TEST_CARDS.visa),
      raw: true,
    });
    const failedOver = await waitForPayment(stack, merchant, limited.body.id, 'succeeded');
    expect(failedOver.attempts).toMatchObject([
      { gateway: 'adyen', outcome: 'declined', failure_code: 'rate_limit', failed_over: true },
      { gateway: 'sandbox', outcome: 'approved' },
    ]);
    expect(adyenPayments(failedOver.id)).toHaveLength(0);
    const hard = await createPayment(stack, merchant, {
      amount: 12,
      currency: 'EUR',
      source: await vaultCard(merchant, ADYEN_TEST_CARDS.notEnoughBalance),
      expectStatus: 'failed',
    });
    expect(hard).toMatchObject({ gateway: 'adyen', failure_code: 'insufficient_funds' });
    expect(hard.attempts).toHaveLength(1);
  });

  it('when a captured payment is charged back, then the CHARGEBACK notification opens one dispute, and CHARGEBACK_REVERSED wins it', async () => {
    const merchant = await adyenMerchant();
    const source = await vaultCard(merchant, ADYEN_TEST_CARDS.chargeback);
    const payment = await createPayment(stack, merchant, { amount: 25, currency: 'EUR', source, expectStatus: 'succeeded' });
    const dispute = await eventually(async () => {
      const list = await stack.request('GET', `/v1/disputes?payment_id=${payment.id}`, { apiKey: merchant.apiKey });
      return list.body.data?.[0];
    });
    expect(dispute).toMatchObject({ payment_id: payment.id, reason: 'fraudulent', status: 'needs_response' });
    const reversed = await postNotification(merchant, {
      eventCode: 'CHARGEBACK_REVERSED',
      pspReference: `${payment.gateway_reference}9`,
      originalReference: payment.gateway_reference!,
      merchantReference: payment.id,
    });
    expect(reversed.status).toBe(200);
    await eventually(async () => {
      const got = await stack.request('GET', `/v1/disputes/${dispute.id}`, { apiKey: merchant.apiKey });
      return got.body.status === 'won' ? got.body : undefined;
    });

    // The second stage, out of order: SECOND_CHARGEBACK before any first-stage item opens the dispute and loses it.
    const other = await createPayment(stack, merchant, {
      amount: 26,
      currency: 'EUR',
      source: await vaultCard(merchant, ADYEN_TEST_CARDS.visa),
      expectStatus: 'succeeded',
    });
    const second = {
      pspReference: `${other.gateway_reference}8`,
      originalReference: other.gateway_reference!,
      merchantReference: other.id,
    };
    expect((await postNotification(merchant, { eventCode: 'SECOND_CHARGEBACK', ...second })).status).toBe(200);
    expect((await postNotification(merchant, { eventCode: 'NOTIFICATION_OF_CHARGEBACK', ...second })).status).toBe(200);
    const lost = await eventually(async () => {
      const list = await stack.request('GET', `/v1/disputes?payment_id=${other.id}`, { apiKey: merchant.apiKey });
      return list.body.data?.[0]?.status === 'lost' ? list.body.data : undefined;
    });
    expect(lost).toHaveLength(1);
    await expectLedgerBalanced(stack.orm);
  });
});

describe('the notification endpoint', () => {
  it('when an item is unsigned or forged, then 400 and nothing of the batch is kept; a signed batch is answered [accepted]', async () => {
    const merchant = await adyenMerchant();
    const forged = await postNotification(merchant, { eventCode: 'REPORT_AVAILABLE', pspReference: 'FORGED0001' }, { sign: 'wrong' });
    expect(forged.status).toBe(400);
    expect(forged.body).toMatchObject({ code: 'invalid_signature' });
    const kept = () =>
      stack.orm.em.getConnection().execute(`select 1 from adyen_notifications where gateway_account_id = ?`, [merchant.account]);
    expect(await kept()).toHaveLength(0);
    const signed = await postNotification(merchant, { eventCode: 'REPORT_AVAILABLE', pspReference: 'REPORT0001' });
    expect(signed.status).toBe(200);
    expect(signed.body).toBe('[accepted]');
    expect(await kept()).toHaveLength(1);
    const unknown = await stack.request('POST', '/v1/gateway_events/adyen/gwa_unknown', { body: { notificationItems: [] } });
    expect(unknown.status).toBe(404);
  });
});

/** Posts one notification item as Adyen would (signed with the library's own HMAC code, unless told to forge it). */
async function postNotification(
  merchant: AdyenMerchant,
  fields: { eventCode: string; pspReference: string; originalReference?: string; merchantReference?: string },
  options: { sign?: 'right' | 'wrong' } = {},
) {
  const item: Record<string, unknown> = {
    merchantAccountCode: merchant.merchantAccount,
    merchantReference: fields.merchantReference ?? '',
    amount: { value: 0, currency: 'EUR' },
    success: 'true',
    reason: '',
    eventDate: new Date().toISOString(),
    additionalData: {},
    ...fields,
  };
  const key = options.sign === 'wrong' ? hex(32) : merchant.hmacKey;
  (item.additionalData as Record<string, string>).hmacSignature = new hmacValidator().calculateHmac(
    item as unknown as Parameters<hmacValidator['calculateHmac']>[0],
    key,
  );
  return stack.request('POST', `/v1/gateway_events/adyen/${merchant.account}`, {
    body: { live: 'false', notificationItems: [{ NotificationRequestItem: item }] },
  });
}
