import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { checkAccessibility, describeWithBrowser, saveScreenshot, useBrowser } from '../support/browser';
import { eventually, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { verifyRedirectSignature } from '../../src/checkout/checkout-signature';

let stack: TestStack;
let merchant: TestMerchant;
// The payment waits this long for 3-D Secure before it is canceled: the abandoned case waits it out.
const ACTION_TIMEOUT_MS = 8_000;
useTestStack((started) => ({ stack, merchant } = started), { env: { CHECKOUT_ACTION_TIMEOUT: `${ACTION_TIMEOUT_MS}ms` } });

/** The merchant's own site: the pages the customer is sent back to, showing what they were sent back with. */
let shop: Server;
let shopUrl: string;
beforeAll(async () => {
  shop = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://shop');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head><body><main><h1>${url.pathname === '/thanks' ? 'Thank you' : 'Your cart'}</h1></main></body></html>`,
    );
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
});
afterAll(async () => new Promise<void>((resolve) => shop.close(() => resolve())));

async function createSession(body: Record<string, unknown> = {}): Promise<{ id: string; url: string }> {
  const response = await stack.request('POST', '/v1/checkout_sessions', {
    apiKey: merchant.apiKey,
    body: {
      amount: 42.5,
      currency: 'USD',
      description: 'Ceramic teapot, blue',
      success_url: `${shopUrl}/thanks`,
      cancel_url: `${shopUrl}/cart`,
      ...body,
    },
  });
  if (response.status !== 201) throw new Error(`create answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body;
}

async function session(id: string) {
  return (await stack.request('GET', `/v1/checkout_sessions/${id}`, { apiKey: merchant.apiKey })).body;
}

async function fillCard(page: Page, number: string, expiry = '12 / 34', cvc = '123'): Promise<void> {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry date').fill(expiry);
  await page.getByLabel('Security code').fill(cvc);
}

function params(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url).searchParams);
}

describeWithBrowser('the hosted payment page in Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  useBrowser((started) => (browser = started));
  beforeEach(async () => {
    // A phone-sized window: the page is built for it.
    context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    page = await context.newPage();
  });
  afterEach(async () => context.close());

  it('when the customer pays with a good card, then they land on success_url signed as paid, and the page has no serious accessibility violation', async () => {
    const created = await createSession();
    await page.goto(created.url);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Pay USD 42.50');
    expect(await page.textContent('body')).toContain('Ceramic teapot, blue');
    expect(await checkAccessibility(page)).toEqual([]);
    await saveScreenshot(page, 'checkout-form');
    // Keyboard only: tab into each field in order, type, and press Enter.
    await page.getByLabel('Card number').focus();
    await page.keyboard.type('4242 4242 4242 4242');
    expect(await page.textContent('#card_brand')).toBe('Visa');
    await page.keyboard.press('Tab');
    await page.keyboard.type('12/34');
    await page.keyboard.press('Tab');
    await page.keyboard.type('123');
    await Promise.all([page.waitForURL(`${shopUrl}/thanks?**`), page.keyboard.press('Enter')]);
    const back = params(page.url());
    expect(back).toMatchObject({ session_id: created.id, payment_status: 'paid' });
    const { signing_secret: secret } = (await stack.request('GET', '/v1/checkout_settings', { apiKey: merchant.apiKey })).body;
    expect(verifyRedirectSignature(back, secret)).toBe(true);
    expect(await session(created.id)).toMatchObject({ status: 'complete', payment: back.payment_id });
  });

  it('when the card is declined, then the form shows the decline, and a wrong number shows the error under its field', async () => {
    const created = await createSession();
    await page.goto(created.url);
    await fillCard(page, '4000 0000 0000 0002');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.waitForSelector('[role=alert]');
    expect(await page.textContent('[role=alert]')).toContain('Your card was declined.');
    await saveScreenshot(page, 'checkout-declined');
    await fillCard(page, '4242 4242 4242 4241');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.waitForSelector('#card_number-error');
    expect(await page.getByLabel('Card number').getAttribute('aria-invalid')).toBe('true');
    expect(await page.textContent('#card_number-error')).toContain('not a valid');
    expect(await checkAccessibility(page)).toEqual([]);
    await saveScreenshot(page, 'checkout-field-error');
    expect(await session(created.id)).toMatchObject({ status: 'open', payment_status: 'failed', attempts: 1 });
  });

  it('when 3-D Secure is completed on the challenge page, then the customer returns through the page to success_url', async () => {
    const created = await createSession();
    await page.goto(created.url);
    await fillCard(page, '4000 0027 6000 3184');
    await Promise.all([page.waitForURL('**/sandbox/3ds/**'), page.getByRole('button', { name: /^Pay/ }).click()]);
    expect(await session(created.id)).toMatchObject({ status: 'open', payment_status: 'requires_action' });
    expect(await checkAccessibility(page)).toEqual([]);
    await saveScreenshot(page, 'checkout-3ds-challenge');
    await Promise.all([page.waitForURL(`${shopUrl}/thanks?**`), page.getByRole('button', { name: 'Complete authentication' }).click()]);
    expect(params(page.url())).toMatchObject({ session_id: created.id, payment_status: 'paid' });
    expect(await session(created.id)).toMatchObject({ status: 'complete', payment_status: 'paid' });
  });

  it('when 3-D Secure fails, then the customer is back on the form with the reason and may use another card', async () => {
    const created = await createSession();
    await page.goto(created.url);
    await fillCard(page, '4000 0027 6000 3184');
    await Promise.all([page.waitForURL('**/sandbox/3ds/**'), page.getByRole('button', { name: /^Pay/ }).click()]);
    await Promise.all([page.waitForURL(created.url), page.getByRole('button', { name: 'Fail authentication' }).click()]);
    await page.waitForSelector('[role=alert]');
    await saveScreenshot(page, 'checkout-3ds-failed');
    expect(await session(created.id)).toMatchObject({ status: 'open', payment_status: 'failed' });
    await fillCard(page, '4242 4242 4242 4242');
    await Promise.all([page.waitForURL(`${shopUrl}/thanks?**`), page.getByRole('button', { name: /^Pay/ }).click()]);
    expect(await session(created.id)).toMatchObject({ status: 'complete', attempts: 2 });
  });

  it('when the customer abandons 3-D Secure, then the payment is canceled after the timeout and the page asks for a card again', async () => {
    const created = await createSession();
    await page.goto(created.url);
    await fillCard(page, '4000 0027 6000 3184');
    await Promise.all([page.waitForURL('**/sandbox/3ds/**'), page.getByRole('button', { name: /^Pay/ }).click()]);
    const abandoned = await eventually(async () => {
      const current = await session(created.id);
      return current.payment_status === 'failed' ? current : undefined;
    }, ACTION_TIMEOUT_MS + 20_000);
    expect(abandoned.status).toBe('open');
    const payment = (await stack.request('GET', `/v1/payments/${abandoned.payment}`, { apiKey: merchant.apiKey })).body;
    expect(payment.status).toBe('failed');
    await page.goto(created.url);
    await page.waitForSelector('[role=alert]');
    expect(await page.getByLabel('Card number').isVisible()).toBe(true);
  });

  it('when the merchant expires the session while the page is open, then paying shows that it expired and charges nothing', async () => {
    const created = await createSession();
    await page.goto(created.url);
    await fillCard(page, '4242 4242 4242 4242');
    expect((await stack.request('POST', `/v1/checkout_sessions/${created.id}/expire`, { apiKey: merchant.apiKey })).status).toBe(200);
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.waitForSelector('text=This payment page has expired');
    await saveScreenshot(page, 'checkout-expired');
    expect(await session(created.id)).toMatchObject({ status: 'expired', payment: null });
  });

  it('when the customer cancels, then they land on cancel_url signed as unpaid', async () => {
    const created = await createSession();
    await page.goto(created.url);
    await Promise.all([page.waitForURL(`${shopUrl}/cart?**`), page.getByRole('button', { name: /^Cancel and return/ }).click()]);
    expect(params(page.url())).toMatchObject({ session_id: created.id, payment_status: 'unpaid' });
  });

  it('when the customer double-clicks Pay and then reloads, then one payment is made and the reload goes straight to success', async () => {
    const created = await createSession();
    await page.goto(created.url);
    await fillCard(page, '4242 4242 4242 4242');
    await page.getByRole('button', { name: /^Pay/ }).dblclick();
    await page.waitForURL(`${shopUrl}/thanks?**`);
    await page.goto(created.url);
    await page.waitForURL(`${shopUrl}/thanks?**`);
    const payments = await stack.orm.em
      .getConnection()
      .execute(`select id from payments where metadata->>'checkout_session' = ?`, [created.id]);
    expect(payments).toHaveLength(1);
  });

  it('when the payment succeeded, then its receipt page shows the merchant, amount and card, with no serious accessibility violation', async () => {
    const created = await createSession({ customer_email: 'ada@example.com' });
    await page.goto(created.url);
    await fillCard(page, '5555 5555 5555 4444');
    await Promise.all([page.waitForURL(`${shopUrl}/thanks?**`), page.getByRole('button', { name: /^Pay/ }).click()]);
    const paymentId = params(page.url()).payment_id;
    const payment = (await stack.request('GET', `/v1/payments/${paymentId}`, { apiKey: merchant.apiKey })).body;
    expect(payment.receipt_url).toMatch(/\/receipts\//);
    await page.goto(payment.receipt_url);
    const text = await page.textContent('body');
    expect(text).toContain('USD 42.50');
    expect(text).toContain('4444');
    expect(await checkAccessibility(page)).toEqual([]);
    await saveScreenshot(page, 'receipt');
  });
});
