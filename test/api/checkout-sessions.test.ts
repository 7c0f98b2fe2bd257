import { describe, expect, it } from 'vitest';
import { eventually, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { expectLedgerBalanced } from '../support/ledger';
import { verifyRedirectSignature } from '../../src/checkout/checkout-signature';
import { csrfOf, FormBrowser } from '../support/form-browser';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started));

const SUCCESS = 'https://shop.example/thanks?order=42';
const CANCEL = 'https://shop.example/cart';

async function createSession(owner: TestMerchant, body: Record<string, unknown> = {}) {
  const response = await stack.request('POST', '/v1/checkout_sessions', {
    apiKey: owner.apiKey,
    body: { amount: 25, currency: 'EUR', description: 'Two concert tickets', success_url: SUCCESS, cancel_url: CANCEL, ...body },
  });
  if (response.status !== 201) throw new Error(`create answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body as { id: string; url: string; status: string; payment_status: string; payment: string | null };
}

async function secretOf(owner: TestMerchant): Promise<string> {
  return (await stack.request('GET', '/v1/checkout_settings', { apiKey: owner.apiKey })).body.signing_secret;
}

async function paymentsOf(sessionId: string): Promise<{ id: string; status: string }[]> {
  return stack.orm.em
    .getConnection()
    .execute(`select id, status from payments where metadata->>'checkout_session' = ? order by created_at`, [sessionId]);
}

const card = (number: string, csrf: string) => ({ card_number: number, card_expiry: '12 / 34', card_cvc: '123', csrf_token: csrf });

describe('checkout sessions', () => {
  it('when a session is created, then it is open with a page URL, readable and listed, and another merchant gets 404', async () => {
    const session = await createSession(merchant, { metadata: { order: '42' } });
    expect(session).toMatchObject({ status: 'open', payment_status: 'unpaid', payment: null });
    expect(session.id).toMatch(/^cs_[0-9A-Za-z]{22}$/);
    expect(session.url).toBe(`${stack.baseUrl}/pay/${session.id}`);
    const read = await stack.request('GET', `/v1/checkout_sessions/${session.id}`, { apiKey: merchant.apiKey });
    expect(read.body).toMatchObject({
      id: session.id,
      amount: 25,
      currency: 'EUR',
      metadata: { order: '42' },
      capture_method: 'automatic',
    });
    const expiresIn = Date.parse(read.body.expires_at) - Date.parse(read.body.created_at);
    expect(expiresIn).toBe(24 * 3600_000);
    const list = await stack.request('GET', '/v1/checkout_sessions?limit=1', { apiKey: merchant.apiKey });
    expect(list.body.data[0].id).toBe(session.id);
    const other = await stack.createMerchant('Someone else');
    expect((await stack.request('GET', `/v1/checkout_sessions/${session.id}`, { apiKey: other.apiKey })).status).toBe(404);
  });

  it.each([
    [{ success_url: undefined }, 'success_url'],
    [{ cancel_url: 'javascript:alert(1)' }, 'cancel_url'],
    [{ success_url: 'https://user:pw@shop.example/ok' }, 'success_url'],
    [{ expires_in: 600 }, 'expires_in'],
    [{ expires_in: 90_000 }, 'expires_in'],
    [{ amount: 0 }, 'amount'],
    [{ currency: 'XXX' }, 'currency'],
    [{ customer: 'cus_doesnotexist' }, 'customer'],
    [{ customer_email: 'not an email' }, 'customer_email'],
  ])('when the body has %o, then 400 names %s and nothing is stored', async (change, param) => {
    const own = await stack.createMerchant('Bad checkout input');
    const response = await stack.request('POST', '/v1/checkout_sessions', {
      apiKey: own.apiKey,
      body: { amount: 25, currency: 'EUR', success_url: SUCCESS, cancel_url: CANCEL, ...change },
    });
    expect(response.status).toBe(400);
    expect(response.body.param).toBe(param);
    const stored = await stack.orm.em.getConnection().execute(`select 1 from checkout_sessions where merchant_id = ?`, [own.id]);
    expect(stored).toHaveLength(0);
  });

  it('when the customer pays on the page, then they land on success_url with a signature the merchant verifies, and the session completes once', async () => {
    const own = await stack.createMerchant('Page shop');
    const session = await createSession(own);
    const browser = new FormBrowser();
    const form = await browser.get(session.url);
    expect(form.status).toBe(200);
    expect(form.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(form.headers.get('x-frame-options')).toBe('DENY');
    expect(form.html).toContain('Page shop');
    expect(form.html).toContain('EUR 25.00');
    const paid = await browser.post(session.url, card('4242 4242 4242 4242', csrfOf(form.html)));
    expect(paid.status).toBe(303);
    const back = new URL(paid.location as string);
    expect(`${back.origin}${back.pathname}`).toBe('https://shop.example/thanks');
    const params = Object.fromEntries(back.searchParams);
    expect(params).toMatchObject({ order: '42', session_id: session.id, payment_status: 'paid' });
    expect(params.payment_id).toMatch(/^pay_/);
    expect(params.provider_payment_id).not.toBe('');
    expect(verifyRedirectSignature(params, await secretOf(own))).toBe(true);
    expect(verifyRedirectSignature({ ...params, payment_status: 'unpaid' }, await secretOf(own))).toBe(false);

    const stored = (await stack.request('GET', `/v1/checkout_sessions/${session.id}`, { apiKey: own.apiKey })).body;
    expect(stored).toMatchObject({ status: 'complete', payment_status: 'paid', payment: params.payment_id, url: null, attempts: 1 });
    const payment = (await stack.request('GET', `/v1/payments/${params.payment_id}`, { apiKey: own.apiKey })).body;
    expect(payment).toMatchObject({ status: 'succeeded', amount: 25, currency: 'EUR', metadata: { checkout_session: session.id } });
    expect(payment.source).toMatch(/^tok_/);
    const events = await eventually(async () => {
      const list = (await stack.request('GET', '/v1/events?type=checkout.session.completed', { apiKey: own.apiKey })).body.data;
      return list.length > 0 ? list : undefined;
    });
    expect(events).toHaveLength(1);
    expect(events[0].data.object).toMatchObject({ id: session.id, status: 'complete' });
    // Back to the page afterwards: straight on to success, nothing charged again.
    const again = await browser.get(session.url);
    expect(again.status).toBe(303);
    expect(again.location).toContain('payment_status=paid');
    expect(await paymentsOf(session.id)).toHaveLength(1);
    await expectLedgerBalanced(stack.orm);
  });

  it('when eight submits of the same form race, then exactly one payment is made and the session completes once', async () => {
    const session = await createSession(merchant);
    const browser = new FormBrowser();
    const csrf = csrfOf((await browser.get(session.url)).html);
    const answers = await Promise.all(Array.from({ length: 8 }, () => browser.post(session.url, card('4242424242424242', csrf))));
    for (const answer of answers) expect([200, 303]).toContain(answer.status);
    const payments = await eventually(async () => {
      const stored = (await stack.request('GET', `/v1/checkout_sessions/${session.id}`, { apiKey: merchant.apiKey })).body;
      return stored.status === 'complete' ? paymentsOf(session.id) : undefined;
    });
    expect(payments).toEqual([{ id: expect.any(String), status: 'succeeded' }]);
    const charges = await stack.orm.em
      .getConnection()
      .execute(`select count(*)::int as n from sandbox_gateway_operations where operation = 'authorize' and idempotency_key = ?`, [
        `${payments[0].id}:authorize`,
      ]);
    expect(charges[0].n).toBe(1);
    const completed = (await stack.request('GET', '/v1/events?type=checkout.session.completed&limit=100', { apiKey: merchant.apiKey })).body
      .data;
    expect(completed.filter((event: { data: { object: { id: string } } }) => event.data.object.id === session.id)).toHaveLength(1);
  });

  it('when the card is declined, then the form comes back with the decline, the session stays open, and another card pays', async () => {
    const session = await createSession(merchant);
    const browser = new FormBrowser();
    const declined = await browser.post(session.url, card('4000000000000002', csrfOf((await browser.get(session.url)).html)));
    expect(declined.status).toBe(200);
    expect(declined.html).toContain('Your card was declined.');
    expect(declined.html).toContain('4 attempts left');
    expect((await stack.request('GET', `/v1/checkout_sessions/${session.id}`, { apiKey: merchant.apiKey })).body).toMatchObject({
      status: 'open',
      payment_status: 'failed',
    });
    const paid = await browser.post(session.url, card('5555555555554444', csrfOf(declined.html)));
    expect(paid.status).toBe(303);
    expect(paid.location).toContain('payment_status=paid');
    expect((await paymentsOf(session.id)).map((payment) => payment.status)).toEqual(['failed', 'succeeded']);
  });

  it('when a field is wrong, then 422 shows the error under that field, and nothing reaches the vault or a gateway', async () => {
    const own = await stack.createMerchant('Field errors');
    const session = await createSession(own);
    const browser = new FormBrowser();
    const csrf = csrfOf((await browser.get(session.url)).html);
    const badNumber = await browser.post(session.url, card('4242424242424241', csrf));
    expect(badNumber.status).toBe(422);
    expect(badNumber.html).toMatch(/id="card_number"[^>]*aria-invalid="true"[^>]*aria-describedby="card_number-error"/);
    expect(badNumber.html).toContain('id="card_number-error"');
    expect(badNumber.html).not.toContain('4242424242424241');
    const badExpiry = await browser.post(session.url, { ...card('4242424242424242', csrf), card_expiry: '13/30' });
    expect(badExpiry.status).toBe(422);
    expect(badExpiry.html).toContain('id="card_expiry-error"');
    const tokens = await stack.orm.em.getConnection().execute(`select 1 from card_tokens where merchant_id = ?`, [own.id]);
    expect(tokens).toHaveLength(0);
    expect(await paymentsOf(session.id)).toHaveLength(0);
  });

  it('when the form comes without the page cookie or with another token, then 403 and nothing is charged', async () => {
    const session = await createSession(merchant);
    const browser = new FormBrowser();
    const csrf = csrfOf((await browser.get(session.url)).html);
    const stranger = new FormBrowser();
    expect((await stranger.post(session.url, card('4242424242424242', csrf))).status).toBe(403);
    expect((await browser.post(session.url, card('4242424242424242', `${csrf.slice(0, -2)}xx`))).status).toBe(403);
    expect(await paymentsOf(session.id)).toHaveLength(0);
  });

  it('when the customer cancels, then they go to cancel_url signed as unpaid, and the session stays open', async () => {
    const session = await createSession(merchant);
    const browser = new FormBrowser();
    const csrf = csrfOf((await browser.get(session.url)).html);
    const cancel = await browser.post(`${session.url}/cancel`, { csrf_token: csrf });
    expect(cancel.status).toBe(303);
    const params = Object.fromEntries(new URL(cancel.location as string).searchParams);
    expect(params).toMatchObject({ session_id: session.id, payment_status: 'unpaid', payment_id: '' });
    expect(verifyRedirectSignature(params, await secretOf(merchant))).toBe(true);
    expect((await stack.request('GET', `/v1/checkout_sessions/${session.id}`, { apiKey: merchant.apiKey })).body.status).toBe('open');
  });

  it('when the merchant expires the session, then the page answers 410 and refuses the card, and checkout.session.expired is sent', async () => {
    const own = await stack.createMerchant('Expiring');
    const session = await createSession(own);
    const browser = new FormBrowser();
    const csrf = csrfOf((await browser.get(session.url)).html);
    const expired = await stack.request('POST', `/v1/checkout_sessions/${session.id}/expire`, { apiKey: own.apiKey });
    expect(expired.status).toBe(200);
    expect(expired.body).toMatchObject({ status: 'expired', url: null });
    expect((await stack.request('POST', `/v1/checkout_sessions/${session.id}/expire`, { apiKey: own.apiKey })).status).toBe(200);
    expect((await browser.get(session.url)).status).toBe(410);
    expect((await browser.post(session.url, card('4242424242424242', csrf))).status).toBe(410);
    expect(await paymentsOf(session.id)).toHaveLength(0);
    const events = await eventually(async () => {
      const list = (await stack.request('GET', '/v1/events?type=checkout.session.expired', { apiKey: own.apiKey })).body.data;
      return list.length > 0 ? list : undefined;
    });
    expect(events.map((event: { data: { object: { id: string } } }) => event.data.object.id)).toEqual([session.id]);
  });

  it('when a completed session is expired, then 409 checkout_session_unexpected_state', async () => {
    const session = await createSession(merchant);
    const browser = new FormBrowser();
    await browser.post(session.url, card('4242424242424242', csrfOf((await browser.get(session.url)).html)));
    const response = await stack.request('POST', `/v1/checkout_sessions/${session.id}/expire`, { apiKey: merchant.apiKey });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('checkout_session_unexpected_state');
  });

  it('when an unknown session is opened, then a browser gets a 404 page and any other client the JSON error naming the session', async () => {
    const browser = new FormBrowser();
    const missing = await browser.get(`${stack.baseUrl}/pay/cs_doesnotexist000000000`);
    expect(missing.status).toBe(404);
    expect(missing.html).toContain('Payment page not found');
    const api = await stack.request('GET', '/pay/cs_doesnotexist000000000');
    expect(api.status).toBe(404);
    expect(api.body).toMatchObject({ code: 'resource_missing', param: 'session' });
    const form = await stack.request('POST', '/pay/cs_doesnotexist000000000', {
      rawBody: 'card_number=4242424242424242&card_cvc=737',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(404);
    expect(JSON.stringify(form.body)).not.toContain('4242424242424242');
  });
});
