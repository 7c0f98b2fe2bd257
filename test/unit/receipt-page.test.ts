import { describe, expect, it } from 'vitest';
import { formatAmount, formatDate, receiptStatus, type ReceiptFacts } from '../../src/receipts/receipt-facts';
import { escapeHtml, htmlPage, pageSecurityHeaders, renderReceiptNotFoundPage, renderReceiptPage } from '../../src/receipts/receipt-page';
import { renderReceiptEmail } from '../../src/receipts/receipt-email';
import { receiptMessageId, smtpAddressForDisplay } from '../../src/receipts/receipt-mailer';
import { newReceiptToken, RECEIPT_TOKEN_PATTERN } from '../../src/receipts/receipt-tokens';

const HOSTILE = `<script>alert("x")</script> & 'quoted' <img src=x onerror=alert(1)>`;

const facts = (overrides: Partial<ReceiptFacts> = {}): ReceiptFacts => ({
  merchantName: 'Corner Shop',
  paymentId: 'pay_123',
  amountMinor: 123456,
  currency: 'USD',
  description: 'Two coffees',
  card: { brand: 'visa', last4: '4242' },
  paidAt: new Date('2026-12-06T09:05:00Z'),
  status: 'paid',
  refunds: [],
  refundedMinor: 0,
  receiptUrl: 'https://pay.example.com/receipts/abc',
  ...overrides,
});

describe('receipt rendering', () => {
  it('when amounts are formatted, then each currency keeps its own decimals and thousands are grouped', () => {
    expect(formatAmount(123456, 'USD')).toBe('USD 1,234.56');
    expect(formatAmount(5000, 'JPY')).toBe('JPY 5,000');
    expect(formatAmount(1250, 'KWD')).toBe('KWD 1.250');
    expect(formatAmount(5, 'EUR')).toBe('EUR 0.05');
    expect(formatAmount(100_000_000, 'JPY')).toBe('JPY 100,000,000');
  });

  it('when a date is formatted, then it is one UTC form', () => {
    expect(formatDate(new Date('2026-12-06T09:05:00Z'))).toBe('6 December 2026, 09:05 UTC');
  });

  it('when refunds add up, then the status follows them', () => {
    expect(receiptStatus(1000, 0)).toBe('paid');
    expect(receiptStatus(1000, 1)).toBe('partially_refunded');
    expect(receiptStatus(1000, 1000)).toBe('refunded');
  });

  it('when merchant name and description are hostile, then the page escapes both and carries no markup of theirs', () => {
    const html = renderReceiptPage(facts({ merchantName: HOSTILE, description: HOSTILE }), 'n0nce');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(html).toContain('<title>Receipt from &lt;script&gt;');
  });

  it('when the page is rendered, then it has a language, one h1, a dl of the facts, and the style under its nonce only', () => {
    const html = renderReceiptPage(facts(), 'n0nce');
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html.match(/<h1[ >]/g)).toHaveLength(1);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<style nonce="n0nce">');
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!pay\.example\.com)/);
    expect(html).toContain('<dt>Amount</dt><dd>USD 1,234.56</dd>');
    expect(html).toContain('<dt>Paid with</dt><dd>Visa ending in 4242</dd>');
    expect(html).toContain('<dt>Date</dt><dd>6 December 2026, 09:05 UTC</dd>');
    expect(html).toContain('<dt>Status</dt><dd>Paid</dd>');
    expect(html).not.toContain('<table');
  });

  it('when the card is a named sandbox token, then only the brand is shown', () => {
    const html = renderReceiptPage(facts({ card: { brand: 'amex', last4: null } }));
    expect(html).toContain('<dt>Paid with</dt><dd>American Express</dd>');
    expect(html).not.toContain('ending in');
  });

  it('when there are refunds, then a table with column headers lists each and the total refunded', () => {
    const html = renderReceiptPage(
      facts({
        status: 'partially_refunded',
        refunds: [
          { id: 're_1', amountMinor: 1000, status: 'succeeded', createdAt: new Date('2026-12-07T10:00:00Z') },
          { id: 're_2', amountMinor: 500, status: 'failed', createdAt: new Date('2026-12-08T10:00:00Z') },
        ],
        refundedMinor: 1000,
      }),
    );
    expect(html).toContain('<th scope="col">Date</th><th scope="col" class="num">Amount</th><th scope="col">Status</th>');
    expect(html).toContain('<td>7 December 2026, 10:00 UTC</td><td class="num">USD 10.00</td><td>Refunded</td>');
    expect(html).toContain('<td class="num">USD 5.00</td><td>Failed</td>');
    expect(html).toContain('<th scope="row">Total refunded</th><td class="num">USD 10.00</td>');
    expect(html).toContain('<dt>Status</dt><dd>Partially refunded</dd>');
  });

  it('when the token opens nothing, then the not-found page says so in the same shell', () => {
    const html = renderReceiptNotFoundPage('abc');
    expect(html).toContain('<h1>Receipt not found</h1>');
    expect(html).toContain('<html lang="en">');
  });

  it('when the shell is used by another page, then it takes its title and body as given', () => {
    expect(htmlPage({ title: 'Pay', body: '<p>x</p>' })).toMatch(/<title>Pay<\/title>[\s\S]*<style>[\s\S]*<p>x<\/p>/);
  });

  it('when the headers are built, then the policy allows nothing but the nonce-bearing style', () => {
    const headers = pageSecurityHeaders({ nonce: 'abc' });
    expect(headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'nonce-abc'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
    });
  });
});

describe('receipt emails', () => {
  it('when a payment succeeds, then the email has the subject, both parts, the facts and the link', () => {
    const email = renderReceiptEmail(facts(), { kind: 'payment' });
    expect(email.subject).toBe('Your receipt from Corner Shop');
    expect(email.text).toContain('Amount: USD 1,234.56');
    expect(email.text).toContain('Paid with: Visa ending in 4242');
    expect(email.text).toContain('View your receipt: https://pay.example.com/receipts/abc');
    expect(email.html).toContain('<a href="https://pay.example.com/receipts/abc">View your receipt</a>');
  });

  it('when a refund succeeds, then the subject and opening name the refund', () => {
    const refunded = facts({
      refunds: [{ id: 're_1', amountMinor: 2500, status: 'succeeded', createdAt: new Date('2026-12-07T10:00:00Z') }],
      refundedMinor: 2500,
      status: 'partially_refunded',
    });
    const email = renderReceiptEmail(refunded, { kind: 'refund', refundId: 're_1' });
    expect(email.subject).toBe('Refund from Corner Shop');
    expect(email.text).toMatch(/^Corner Shop refunded USD 25.00 of your payment of USD 1,234.56\./);
    expect(email.text).toContain('Total refunded: USD 25.00');
  });

  it('when the merchant name has line breaks or markup, then the subject is one line and the HTML part is escaped', () => {
    const email = renderReceiptEmail(facts({ merchantName: `Evil\r\nBcc: all@example.com ${HOSTILE}` }), { kind: 'payment' });
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.html).not.toContain('<script');
    expect(email.html).not.toContain('<img');
  });
});

describe('receipt tokens and mail settings', () => {
  it('when tokens are made, then each is 192 random bits in base64url and matches the pattern', () => {
    const tokens = new Set(Array.from({ length: 200 }, newReceiptToken));
    expect(tokens.size).toBe(200);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(RECEIPT_TOKEN_PATTERN.test(token)).toBe(true);
    }
  });

  it('when the Message-ID is made, then the event seeds it and the sender closes it', () => {
    expect(receiptMessageId('evt_1', 'Receipts <receipts@shop.example>')).toBe('<receipt-evt_1@shop.example>');
    expect(receiptMessageId('evt_1', 'receipts@ledgerflow.local')).toBe('<receipt-evt_1@ledgerflow.local>');
  });

  it('when the SMTP address is shown, then the credentials are left out', () => {
    expect(smtpAddressForDisplay('smtps://user:s3cret@mail.example.com:465')).toBe('smtps://mail.example.com:465');
  });
});
