import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CheckoutAPI, Client, EnvironmentEnum, hmacValidator, type Config } from '@adyen/api-library';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADYEN_TEST_CARDS, startAdyenFake, type AdyenFake, type AdyenNotificationItem } from '../../src/gateways/adyen/adyen-fake';

// The fake over plain HTTP, and its notifications as a merchant's endpoint receives and verifies them.
const KEY = 'AQE_fake_test_key_0001';
const MERCHANT = 'LedgerflowTestECOM';
const HMAC = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';

let fake: AdyenFake;
let endpoint: http.Server;
let received: AdyenNotificationItem[] = [];
const validator = new hmacValidator();

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${fake.url}/v72${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'x-API-Key': KEY, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

let counter = 0;
const card = (number: string = ADYEN_TEST_CARDS.visa, holderName = 'J Smith') => ({
  type: 'scheme',
  number,
  expiryMonth: '03',
  expiryYear: '2030',
  cvc: '737',
  holderName,
});
const payment = (overrides: Record<string, unknown> = {}) => ({
  merchantAccount: MERCHANT,
  reference: `pay_${++counter}`,
  amount: { value: 1000, currency: 'EUR' },
  paymentMethod: card(),
  additionalData: { manualCapture: 'true' },
  ...overrides,
});
const events = (psp: string) =>
  received.filter((item) => item.pspReference === psp || item.originalReference === psp).map((item) => item.eventCode);

beforeAll(async () => {
  endpoint = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const { NotificationRequestItem } of body.notificationItems) received.push(NotificationRequestItem);
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('[accepted]');
    });
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  fake = await startAdyenFake({ chargebackDelayMs: 20 });
  fake.addAccount({
    apiKey: KEY,
    merchantAccount: MERCHANT,
    hmacKey: HMAC,
    notificationUrl: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/adyen`,
  });
});

afterAll(async () => {
  await fake?.stop();
  endpoint?.closeAllConnections();
  await new Promise((resolve) => endpoint?.close(resolve));
});

beforeEach(async () => {
  await fake.idle();
  fake.clearFaults();
  fake.clearNotificationRules();
  received = [];
});

describe('Adyen fake: the Checkout API', () => {
  it('serves the path the library itself sends', async () => {
    const checkout = new CheckoutAPI(new Client({ apiKey: KEY, environment: EnvironmentEnum.TEST } as Config));
    const base = (checkout.PaymentsApi as unknown as { baseUrl: string }).baseUrl;
    expect(new URL(base).pathname).toBe('/v72');
    const { status, body } = await post('/paymentMethods', { merchantAccount: MERCHANT });
    expect(status).toBe(200);
    expect(body.paymentMethods[0].type).toBe('scheme');
  });

  it("answers the library's own CheckoutAPI calls, rebased on the fake", async () => {
    // The library sends over https only; this client keeps its URLs, headers and idempotency key and rebases the host.
    const httpClient = {
      async request(url: string, json: string | Buffer, config: Config, _required: boolean, options: { idempotencyKey?: string } = {}) {
        const response = await fetch(url.replace('https://checkout-test.adyen.com', fake.url), {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'X-API-Key': config.apiKey ?? '',
            ...(options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {}),
          },
          body: json.toString(),
        });
        const text = await response.text();
        if (!response.ok) throw new Error(`HTTP ${response.status}: ${text}`);
        return text;
      },
    };
    const checkout = new CheckoutAPI(new Client({ apiKey: KEY, environment: EnvironmentEnum.TEST } as Config, httpClient));
    const request = payment();
    const authorised = await checkout.PaymentsApi.payments(request as never, { idempotencyKey: `${request.reference}:authorize` });
    expect(authorised.resultCode).toBe('Authorised');
    const capture = await checkout.ModificationsApi.captureAuthorisedPayment(authorised.pspReference as string, {
      merchantAccount: MERCHANT,
      amount: { value: 1000, currency: 'EUR' },
    });
    expect(capture.status).toBe('received');
    const cancel = await checkout.ModificationsApi.cancelAuthorisedPayment({
      merchantAccount: MERCHANT,
      paymentReference: request.reference,
    });
    expect(cancel.status).toBe('received');
    expect(
      fake
        .requestLog()
        .slice(-3)
        .map((entry) => entry.path),
    ).toEqual(['/v72/payments', `/v72/payments/${authorised.pspReference}/captures`, '/v72/cancels']);
  });

  it('refuses an unknown key and a foreign merchant account as Adyen does', async () => {
    const unknown = await post('/payments', payment(), { 'x-API-Key': 'nope' });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ status: 401, errorCode: '000', errorType: 'security' });
    const foreign = await post('/paymentMethods', { merchantAccount: 'SomeoneElse' });
    expect(foreign).toMatchObject({ status: 403, body: { errorCode: '901', errorType: 'security' } });
  });

  it('authorises, then signs an AUTHORISATION notification the library validates', async () => {
    const { status, body } = await post('/payments', payment());
    expect(status).toBe(200);
    expect(body).toMatchObject({ resultCode: 'Authorised', amount: { value: 1000, currency: 'EUR' } });
    expect(body.pspReference).toMatch(/^[A-Z0-9]{16}$/);
    await fake.idle();
    const [item] = received;
    expect(item).toMatchObject({
      eventCode: 'AUTHORISATION',
      success: 'true',
      pspReference: body.pspReference,
      merchantAccountCode: MERCHANT,
    });
    expect(validator.validateHMAC(item as never, HMAC)).toBe(true);
    expect(validator.validateHMAC({ ...item, amount: { value: 1, currency: 'EUR' } } as never, HMAC)).toBe(false);
    expect(fake.notifications({ pspReference: body.pspReference })[0].deliveries[0]).toMatchObject({ status: 200, accepted: true });
  });

  it('refuses by holder name with Adyen refusal reasons and codes', async () => {
    const { body } = await post('/payments', payment({ paymentMethod: card(ADYEN_TEST_CARDS.visa, 'NOT_ENOUGH_BALANCE') }));
    expect(body).toMatchObject({ resultCode: 'Refused', refusalReason: 'Not enough balance', refusalReasonCode: '12' });
    const byText = await post('/payments', payment({ paymentMethod: card(ADYEN_TEST_CARDS.visa, 'CVC Declined') }));
    expect(byText.body).toMatchObject({ refusalReason: 'CVC Declined', refusalReasonCode: '24' });
    const error = await post('/payments', payment({ paymentMethod: card(ADYEN_TEST_CARDS.visa, 'ERROR') }));
    expect(error.body.resultCode).toBe('Error');
    await fake.idle();
    expect(received.find((item) => item.pspReference === body.pspReference)).toMatchObject({
      success: 'false',
      reason: 'Not enough balance',
    });
  });

  it('asks for 3-D Secure and authorises once the shopper completes it', async () => {
    const { body } = await post('/payments', payment({ paymentMethod: card(ADYEN_TEST_CARDS.threeDs[0]) }));
    expect(body).toMatchObject({ resultCode: 'RedirectShopper', action: { type: 'redirect', method: 'GET' } });
    await fake.idle();
    expect(events(body.pspReference)).toEqual([]);
    const page = await fetch(`${body.action.url}?result=succeed`);
    expect(await page.text()).toBe('Authorised');
    await fake.idle();
    expect(events(body.pspReference)).toEqual(['AUTHORISATION']);
    const failed = await post('/payments', payment({ paymentMethod: card(ADYEN_TEST_CARDS.threeDs[2]) }));
    expect(fake.completeAction(failed.body.pspReference, { succeed: false })).toMatchObject({
      resultCode: 'Refused',
      refusalReason: '3D Not Authenticated',
    });
  });

  it('receives captures, cancels and refunds, and notifies their outcome', async () => {
    const { body } = await post('/payments', payment());
    const psp = body.pspReference as string;
    const capture = await post(`/payments/${psp}/captures`, {
      merchantAccount: MERCHANT,
      amount: { value: 600, currency: 'EUR' },
      reference: 'cap_1',
    });
    expect(capture).toMatchObject({ status: 201, body: { status: 'received', paymentPspReference: psp, reference: 'cap_1' } });
    expect(capture.body.pspReference).not.toBe(psp);
    const tooMuch = await post(`/payments/${psp}/captures`, { merchantAccount: MERCHANT, amount: { value: 600, currency: 'EUR' } });
    const refund = await post(`/payments/${psp}/refunds`, { merchantAccount: MERCHANT, amount: { value: 200, currency: 'EUR' } });
    const cancel = await post(`/payments/${psp}/cancels`, { merchantAccount: MERCHANT });
    await fake.idle();
    const outcome = (modification: string) => received.find((item) => item.pspReference === modification);
    expect(outcome(capture.body.pspReference)).toMatchObject({
      eventCode: 'CAPTURE',
      success: 'true',
      originalReference: psp,
      merchantReference: 'cap_1',
    });
    expect(outcome(tooMuch.body.pspReference)).toMatchObject({ eventCode: 'CAPTURE', success: 'false' });
    expect(outcome(refund.body.pspReference)).toMatchObject({ eventCode: 'REFUND', success: 'true', amount: { value: 200 } });
    expect(outcome(cancel.body.pspReference)).toMatchObject({ eventCode: 'CANCELLATION', success: 'false' });
    expect(fake.payments({ pspReference: psp })[0]).toMatchObject({ captured: 600, refunded: 200 });
    for (const item of received) expect(validator.validateHMAC(item as never, HMAC)).toBe(true);
  });

  it('cancels by our reference (technical cancel) and answers 422 for an unknown payment', async () => {
    const request = payment();
    const { body } = await post('/payments', request);
    const cancel = await post('/cancels', { merchantAccount: MERCHANT, paymentReference: request.reference });
    expect(cancel).toMatchObject({ status: 201, body: { status: 'received', paymentReference: request.reference } });
    await fake.idle();
    expect(events(body.pspReference)).toEqual(['AUTHORISATION', 'TECHNICAL_CANCEL']);
    expect(fake.payments({ pspReference: body.pspReference })[0].status).toBe('cancelled');
    const unknown = await post('/payments/NOSUCHPSP0000000/captures', { merchantAccount: MERCHANT, amount: { value: 1, currency: 'EUR' } });
    expect(unknown).toMatchObject({ status: 422, body: { errorCode: '167' } });
  });

  it('fails refunds of the refund-fail card later, and charges back the chargeback card after capture', async () => {
    const refundFails = await post('/payments', payment({ paymentMethod: card(ADYEN_TEST_CARDS.refundFails), additionalData: {} }));
    await post(`/payments/${refundFails.body.pspReference}/refunds`, {
      merchantAccount: MERCHANT,
      amount: { value: 1000, currency: 'EUR' },
    });
    const disputed = await post('/payments', payment({ paymentMethod: card(ADYEN_TEST_CARDS.chargeback) }));
    await post(`/payments/${disputed.body.pspReference}/captures`, { merchantAccount: MERCHANT, amount: { value: 1000, currency: 'EUR' } });
    await fake.idle();
    expect(events(refundFails.body.pspReference)).toEqual(['AUTHORISATION', 'REFUND', 'REFUND_FAILED']);
    expect(events(disputed.body.pspReference)).toEqual(['AUTHORISATION', 'CAPTURE', 'CHARGEBACK']);
    expect(fake.payments({ pspReference: refundFails.body.pspReference })[0]).toMatchObject({ captured: 1000, refunded: 0 });
  });
});

describe('Adyen fake: idempotency and faults', () => {
  it('replays the first answer for the same key and body, and refuses another body', async () => {
    const request = payment();
    const first = await post('/payments', request, { 'Idempotency-Key': `${request.reference}:authorize` });
    const again = await post('/payments', request, { 'Idempotency-Key': `${request.reference}:authorize` });
    expect(again.body.pspReference).toBe(first.body.pspReference);
    const other = await post(
      '/payments',
      { ...request, amount: { value: 5, currency: 'EUR' } },
      { 'Idempotency-Key': `${request.reference}:authorize` },
    );
    expect(other).toMatchObject({ status: 422, body: { errorCode: '704' } });
    expect(fake.payments({ merchantReference: request.reference })).toHaveLength(1);
  });

  it('loses the answer after committing; the retry with the same key gets the committed payment', async () => {
    fake.injectFault({ operation: 'payments', kind: 'lose_answer_after_commit' });
    const request = payment();
    await expect(post('/payments', request, { 'Idempotency-Key': 'k-lost' })).rejects.toThrow();
    expect(fake.payments({ merchantReference: request.reference })).toHaveLength(1);
    const retry = await post('/payments', request, { 'Idempotency-Key': 'k-lost' });
    expect(retry.body.pspReference).toBe(fake.payments({ merchantReference: request.reference })[0].pspReference);
  });

  it('answers 500 before or after the work, and 429 when rate limited', async () => {
    fake.injectFault({ operation: 'payments', kind: 'http_500_before' });
    fake.injectFault({ operation: 'captures', kind: 'http_500_after_commit' });
    fake.injectFault({ operation: 'refunds', kind: 'rate_limit', times: 2 });
    const before = payment();
    expect(await post('/payments', before)).toMatchObject({ status: 500, body: { errorType: 'internal' } });
    expect(fake.payments({ merchantReference: before.reference })).toHaveLength(0);
    const { body } = await post('/payments', payment({ additionalData: { manualCapture: 'true' } }));
    const capture = await post(`/payments/${body.pspReference}/captures`, {
      merchantAccount: MERCHANT,
      amount: { value: 1000, currency: 'EUR' },
    });
    expect(capture.status).toBe(500);
    expect(fake.modifications({ paymentPspReference: body.pspReference, type: 'capture' })).toHaveLength(1);
    expect(
      (await post(`/payments/${body.pspReference}/refunds`, { merchantAccount: MERCHANT, amount: { value: 1, currency: 'EUR' } })).status,
    ).toBe(429);
  });
});

describe('Adyen fake: notification delivery', () => {
  it('drops, duplicates, holds and reorders notifications on request', async () => {
    fake.notificationRule({ kind: 'drop', eventCode: 'AUTHORISATION' });
    const dropped = await post('/payments', payment());
    await fake.idle();
    expect(events(dropped.body.pspReference)).toEqual([]);
    const [lost] = fake.notifications({ pspReference: dropped.body.pspReference });
    expect(lost.state).toBe('dropped');
    await fake.redeliver(lost.id);
    expect(events(dropped.body.pspReference)).toEqual(['AUTHORISATION']);

    fake.notificationRule({ kind: 'duplicate', eventCode: 'AUTHORISATION' });
    const twice = await post('/payments', payment());
    await fake.idle();
    expect(events(twice.body.pspReference)).toEqual(['AUTHORISATION', 'AUTHORISATION']);

    fake.notificationRule({ kind: 'hold', times: 2 });
    const held = await post('/payments', payment());
    await post(`/payments/${held.body.pspReference}/captures`, { merchantAccount: MERCHANT, amount: { value: 1000, currency: 'EUR' } });
    await fake.idle();
    expect(events(held.body.pspReference)).toEqual([]);
    await fake.releaseHeld();
    expect(events(held.body.pspReference)).toEqual(['CAPTURE', 'AUTHORISATION']);
  });

  it('delays a notification', async () => {
    fake.notificationRule({ kind: 'delay', ms: 150 });
    const started = Date.now();
    const { body } = await post('/payments', payment());
    await fake.idle();
    expect(events(body.pspReference)).toEqual(['AUTHORISATION']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
