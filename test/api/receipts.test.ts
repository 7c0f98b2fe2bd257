import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiptEmailActivities } from '../../activities/receipt-email-activities';
import { sqlFor } from '../../src/db/sql';
import { ReceiptDispatcher } from '../../src/receipts/receipt-dispatcher';
import { ReceiptRepository } from '../../src/receipts/receipt-repository';
import { createLogger } from '../../src/logger';
import { capturePayment, createCustomer, createPayment, createRefund, type Payment } from '../support/api-calls';
import { findCardNumbers, findCvcs } from '../support/card-data-scan';
import { decodeQuotedPrintable, startSmtpReceiver } from '../support/smtp-receiver';
import { eventually, startTestStack, type TestMerchant, type TestStack } from '../support/test-stack';

const CARD_NUMBER = '4242424242424242';
// An unusual CVC, so a hit is ours.
const CVC = '737';
const NEXT_YEAR = new Date().getUTCFullYear() + 1;
const MERCHANT_NAME = 'Ana & Bo <Bakery>';
const RECEIPT_PATH = /^\/receipts\/[A-Za-z0-9_-]{32}$/;

const receiptPath = (payment: Payment) => new URL(payment.receipt_url as string).pathname;
const paymentEvent = async (stack: TestStack, type: string, objectId: string) => {
  const [row] = await stack.orm.em
    .fork()
    .getConnection()
    .execute<{ id: string }[]>(`select id from events where type = ? and object_id = ?`, [type, objectId]);
  return row?.id;
};

async function tokenize(stack: TestStack, merchant: TestMerchant): Promise<string> {
  const response = await stack.request('POST', '/v1/tokens', {
    apiKey: merchant.apiKey,
    body: { card: { number: CARD_NUMBER, exp_month: 12, exp_year: NEXT_YEAR, cvc: CVC } },
  });
  expect(response.status).toBe(201);
  return response.body.id;
}

function expectPageHeaders(headers: Headers): void {
  expect(headers.get('content-type')).toBe('text/html; charset=utf-8');
  const policy = headers.get('content-security-policy') ?? '';
  expect(policy).toContain("default-src 'none'");
  expect(policy).toMatch(/style-src 'nonce-[A-Za-z0-9+/=]+'/);
  expect(policy).not.toContain('script-src');
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('cache-control')).toBe('no-store');
}

describe('receipts through a real SMTP server', () => {
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let stack: TestStack;
  let merchant: TestMerchant;
  let vaultCard: string;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    stack = await startTestStack({ env: { SMTP_URL: smtp.url, RECEIPT_FROM: 'Receipts <receipts@shop.example>' } });
    merchant = await stack.createMerchant(MERCHANT_NAME);
    vaultCard = await tokenize(stack, merchant);
  });
  afterAll(async () => {
    await stack?.close();
    await smtp?.close();
  });

  const mailTo = (address: string) => smtp.received.filter((mail) => mail.to.includes(address));

  it('when a payment with receipt_email succeeds, then it has a receipt page with the facts, reachable without a key', async () => {
    const payment = await createPayment(stack, merchant, {
      amount: '1234.50',
      source: vaultCard,
      description: 'Cake <script>alert(1)</script>',
      receipt_email: 'page@example.com',
      expectStatus: 'succeeded',
    });
    expect(payment.receipt_url).toMatch(new RegExp(`^${stack.config.publicUrl}/receipts/`));
    expect(receiptPath(payment)).toMatch(RECEIPT_PATH);
    const fetched = await stack.request('GET', `/v1/payments/${payment.id}`, { apiKey: merchant.apiKey });
    expect(fetched.body.receipt_url).toBe(payment.receipt_url);
    const listed = await stack.request('GET', '/v1/payments?limit=5', { apiKey: merchant.apiKey });
    expect(listed.body.data.find((each: Payment) => each.id === payment.id).receipt_url).toBe(payment.receipt_url);

    const page = await stack.request('GET', receiptPath(payment));
    expect(page.status).toBe(200);
    expectPageHeaders(page.headers);
    const html: string = page.body;
    expect(html).toContain('<html lang="en">');
    expect(html.match(/<h1[ >]/g)).toHaveLength(1);
    expect(html).toContain('Ana &amp; Bo &lt;Bakery&gt;');
    expect(html).toContain('USD 1,234.50');
    expect(html).toContain('Visa ending in 4242');
    expect(html).toContain('<dt>Status</dt><dd>Paid</dd>');
    expect(html).toContain('Cake &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    expect(findCardNumbers(html)).toEqual([]);

    await createRefund(stack, merchant, payment.id, { amount: '34.50', expectStatus: 'succeeded' });
    const refunded: string = (await stack.request('GET', receiptPath(payment))).body;
    expect(refunded).toContain('Partially refunded');
    expect(refunded).toMatch(/<th scope="col"[^>]*>Amount<\/th>/);
    expect(refunded).toContain('USD 34.50');
    expect(refunded).toMatch(/Total refunded<\/th><td class="num">USD 34.50</);
  });

  it('when a payment has not succeeded, then it has no receipt_url', async () => {
    const authorized = await createPayment(stack, merchant, { amount: 5, capture: false, expectStatus: 'requires_capture' });
    expect(authorized.receipt_url).toBeNull();
    const declined = await createPayment(stack, merchant, { amount: 5, source: 'tok_chargeDeclined', receipt_email: 'x@example.com' });
    expect(declined.status).toBe('failed');
    expect(declined.receipt_url).toBeNull();
    const captured = await capturePayment(stack, merchant, authorized.id, {});
    expect(captured.receipt_url).toMatch(/\/receipts\//);
  });

  it('when the token is unknown or malformed, then a browser gets the 404 page with the same headers, and an API client the JSON error', async () => {
    const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    for (const token of ['A'.repeat(32), 'short', '%3Cscript%3E', 'x'.repeat(200), '..%2F..%2Fetc']) {
      const response = await stack.request('GET', `/receipts/${token}`, { headers: browser });
      expect(response.status, token).toBe(404);
      expectPageHeaders(response.headers);
      expect(response.body).toContain('Receipt not found');
      expect(response.body).not.toContain('<script');
      const json = await stack.request('GET', `/receipts/${token}`);
      expect(json.status, token).toBe(404);
      expect(json.body).toMatchObject({ code: 'resource_missing', param: 'token' });
    }
    const tooLong = await stack.request('GET', `/receipts/${'x'.repeat(300)}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.param).toBe('token');
  });

  it('when the payment succeeds and each refund succeeds, then one email each goes to the address, with the link and no card data', async () => {
    const to = 'buyer@example.com';
    const payment = await createPayment(stack, merchant, { amount: 80, source: vaultCard, receipt_email: to, description: 'Two cakes' });
    const paid = await eventually(async () => (mailTo(to).length >= 1 ? mailTo(to) : undefined));
    expect(paid).toHaveLength(1);
    const [receipt] = paid;
    expect(receipt.user).toBe('receipts');
    expect(receipt.headers.subject).toBe(`Your receipt from ${MERCHANT_NAME}`);
    expect(receipt.headers.from).toContain('receipts@shop.example');
    const succeeded = await paymentEvent(stack, 'payment.succeeded', payment.id);
    expect(receipt.headers['message-id']).toBe(`<receipt-${succeeded}@shop.example>`);
    expect(receipt.raw).toMatch(/Content-Type: text\/plain/i);
    expect(receipt.raw).toMatch(/Content-Type: text\/html/i);
    // The path, not the whole URL: under PORT=0 the stack's API config cannot know its own port (the worker's can).
    expect(receipt.decoded).toMatch(new RegExp(`View your receipt: http://127\\.0\\.0\\.1:\\d+${receiptPath(payment)}`));
    expect(receipt.decoded).toContain('USD 80.00');
    expect(receipt.decoded).toContain('Visa ending in 4242');

    const first = await createRefund(stack, merchant, payment.id, { amount: 30, expectStatus: 'succeeded' });
    await eventually(async () => (mailTo(to).length >= 2 ? true : undefined));
    const second = await createRefund(stack, merchant, payment.id, { expectStatus: 'succeeded' });
    const all = await eventually(async () => (mailTo(to).length >= 3 ? mailTo(to) : undefined));
    const refundMails = all.slice(1);
    expect(refundMails.map((mail) => mail.headers.subject)).toEqual([`Refund from ${MERCHANT_NAME}`, `Refund from ${MERCHANT_NAME}`]);
    expect(refundMails[0].headers['message-id']).toBe(`<receipt-${await paymentEvent(stack, 'refund.succeeded', first.id)}@shop.example>`);
    expect(refundMails[1].headers['message-id']).toBe(`<receipt-${await paymentEvent(stack, 'refund.succeeded', second.id)}@shop.example>`);
    expect(refundMails[1].decoded).toContain('Total refunded: USD 80.00');

    for (const mail of smtp.received) {
      expect(findCardNumbers(mail.decoded)).toEqual([]);
      expect(findCvcs(mail.decoded, [CVC])).toEqual([]);
      expect(mail.raw).not.toContain(smtp.password);
    }
  });

  it('when a payment has no address, then no email is sent for it', async () => {
    const silent = await createPayment(stack, merchant, { amount: 7, expectStatus: 'succeeded' });
    await createRefund(stack, merchant, silent.id, { expectStatus: 'succeeded' });
    // A later payment with an address: the dispatcher takes events oldest first, so once its email is in, the others were passed over.
    const marker = await createPayment(stack, merchant, { amount: 8, receipt_email: 'marker@example.com' });
    await eventually(async () => (mailTo('marker@example.com').length === 1 ? true : undefined));
    expect(smtp.received.filter((mail) => mail.decoded.includes(silent.id))).toEqual([]);
    const repository = new ReceiptRepository(sqlFor(stack.orm.em.fork()));
    expect(await repository.recipientOf(silent.id)).toBeNull();
    expect(await repository.recipientOf(marker.id)).toBe('marker@example.com');
  });

  it("when the payment's receipt names a customer instead of an address, then the customer's email gets it", async () => {
    const customer = await createCustomer(stack, merchant, { email: 'customer@example.com' });
    const authorized = await createPayment(stack, merchant, { amount: 9, capture: false, expectStatus: 'requires_capture' });
    // As a checkout session with a customer does.
    await new ReceiptRepository(sqlFor(stack.orm.em.fork())).rememberRecipient({
      paymentId: authorized.id,
      merchantId: merchant.id,
      customerId: customer.id,
    });
    await capturePayment(stack, merchant, authorized.id, {});
    const [mail] = await eventually(async () => (mailTo('customer@example.com').length ? mailTo('customer@example.com') : undefined));
    expect(mail.decoded).toContain(authorized.id);
  });

  it('when an event is dispatched again (put back, dispatcher restarted), then no second email is sent', async () => {
    const to = 'once@example.com';
    const payment = await createPayment(stack, merchant, { amount: 11, receipt_email: to, expectStatus: 'succeeded' });
    await eventually(async () => (mailTo(to).length === 1 ? true : undefined));
    const eventId = (await paymentEvent(stack, 'payment.succeeded', payment.id)) as string;
    const repository = new ReceiptRepository(sqlFor(stack.orm.em.fork()));
    expect((await repository.findSentEmail(eventId))?.recipient).toBe(to);

    // A second dispatcher (another API process, or this one restarted) given the same event again.
    await repository.requeue(eventId);
    const again = new ReceiptDispatcher({
      orm: stack.orm,
      temporal: stack.client,
      taskQueue: stack.taskQueue,
      databaseUrl: stack.config.database.url as string,
      logger: createLogger('silent'),
    });
    await again.start();
    try {
      await eventually(async () => {
        const [row] = await stack.orm.em
          .fork()
          .getConnection()
          .execute<{ n: string }[]>(`select count(*) as n from receipt_outbox where event_id = ?`, [eventId]);
        return Number(row.n) === 0 ? true : undefined;
      });
    } finally {
      await again.stop();
    }
    // And the workflow's activity run once more by hand: the sent-email record stops it.
    const activities = createReceiptEmailActivities({ orm: stack.orm, publicUrl: stack.config.publicUrl, mail: stack.config.mail });
    expect(await activities.sendReceiptEmail({ eventId, merchantId: merchant.id, paymentId: payment.id })).toMatchObject({
      sent: false,
      reason: 'already_sent',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(mailTo(to)).toHaveLength(1);
  });

  it('when receipt_email is not an email address, then the payment is refused naming the field, and nothing is written', async () => {
    const before = await stack.request('GET', '/v1/payments?limit=1', { apiKey: merchant.apiKey });
    for (const value of ['not-an-address', 'a@b', 'x'.repeat(250) + '@example.com', 'a\u0000b@example.com', 42]) {
      const response = await stack.request('POST', '/v1/payments', {
        apiKey: merchant.apiKey,
        body: { amount: 1, currency: 'USD', source: 'tok_visa', receipt_email: value },
      });
      expect(response.status, String(value)).toBe(400);
      expect(response.body.param).toBe('receipt_email');
    }
    const after = await stack.request('GET', '/v1/payments?limit=1', { apiKey: merchant.apiKey });
    expect(after.body.data[0]?.id).toBe(before.body.data[0]?.id);
  });
});

describe('receipts without SMTP_URL', () => {
  const mailDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-receipts-mail-'));
  let stack: TestStack;
  let merchant: TestMerchant;

  beforeAll(async () => {
    stack = await startTestStack({ env: { MAIL_DIR: mailDir } });
    merchant = await stack.createMerchant('Folder shop');
  });
  afterAll(async () => {
    await stack?.close();
    fs.rmSync(mailDir, { recursive: true, force: true });
  });

  it('when a payment with receipt_email succeeds, then its message is written as an .eml file in the mail folder', async () => {
    expect(stack.config.mail.smtpUrl).toBeUndefined();
    const payment = await createPayment(stack, merchant, { amount: 3, receipt_email: 'folder@example.com', expectStatus: 'succeeded' });
    const eventId = await paymentEvent(stack, 'payment.succeeded', payment.id);
    const file = path.join(mailDir, `receipt-${eventId}@ledgerflow.local.eml`);
    const raw = await eventually(async () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined));
    expect(raw).toMatch(/^Subject: Your receipt from Folder shop$/m);
    expect(raw).toMatch(/^To: folder@example.com$/m);
    expect(decodeQuotedPrintable(raw)).toContain(receiptPath(payment));
    expect(fs.readdirSync(mailDir)).toHaveLength(1);
  });
});
