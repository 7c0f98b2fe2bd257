import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Payload } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { AesGcmPayloadCodec } from '../../src/temporal/payload-codec';
import { openPan } from '../../src/vault/vault-keys';
import { openSecret } from '../../src/vault/sealed-secrets';
import { credentialsBinding } from '../../src/gateway-accounts/gateway-account-record';
import { startStripeFake, type StripeFake } from '../../src/gateways/stripe/stripe-fake';
import { randomBase62 } from '../../src/shared/ids';
import { webhookSecretBinding } from '../../src/webhooks/webhook-secrets';
import { eventually, startTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { startWebhookReceiver } from '../support/webhook-receiver';
import { decodeQuotedPrintable } from '../support/smtp-receiver';
import { findCardNumbers, findCvcs, findSecrets, scanForCardData, type NamedSecret } from '../support/card-data-scan';
import { cancelPayment, capturePayment, createPayment, createRefund, simulateDispute } from '../support/api-calls';

// Unusual CVCs, so a hit is ours and not some other three digits.
const CVC = '737';
const AMEX_CVC = '7373';
const NEXT_YEAR = new Date().getUTCFullYear() + 1;
const CARDS = {
  visa: '4242424242424242',
  visaOther: '4111111111111111',
  declined: '4000000000000002',
  insufficient: '4000000000009995',
  expiredBehaviour: '4000000000000069',
  mastercard: '5555555555554444',
  mastercard2: '2223003122003222',
  amex: '378282246310005',
};
const ALL_NUMBERS = Object.values(CARDS);

/**
 * Secrets that must never be stored or logged in clear, added by the tests that make them: the scan
 * below looks for each in every table, log line, webhook and workflow history, and expects none.
 */
const SECRETS: NamedSecret[] = [];

const logLines: string[] = [];
/** Public pages fetched without a key (receipts), scanned like the tables. */
const pages: { where: string; text: string }[] = [];
let stack: TestStack;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let stripe: StripeFake;
let merchant: TestMerchant;
let other: TestMerchant;
const merchants: TestMerchant[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver({});
  stripe = await startStripeFake();
  // The API logs at debug into a buffer the scan reads; subscription time runs a day a second; a low velocity limit to prove re-tokenizing does not dodge it.
  stack = await startTestStack({
    env: { LOG_LEVEL: 'debug', SUBSCRIPTION_TIME_SCALE: '86400', FRAUD_VELOCITY_LIMIT: '3', STRIPE_API_BASE: stripe.url },
    logDestination: {
      write: (line) => {
        logLines.push(line);
      },
    },
  });
  merchant = await stack.createMerchant('Card scan');
  other = await stack.createMerchant('Card scan, other merchant');
  merchants.push(merchant, other);
});
afterAll(async () => {
  await receiver?.close();
  await stack?.close();
  await stripe?.stop();
});

const tokenize = (card: Record<string, unknown>, apiKey = merchant.apiKey) =>
  stack.request('POST', '/v1/tokens', { apiKey, body: { card } });
const card = (number: string, cvc = CVC, extra: Record<string, unknown> = {}) => ({
  number,
  exp_month: 12,
  exp_year: NEXT_YEAR,
  cvc,
  ...extra,
});
async function token(number: string, cvc = CVC, apiKey = merchant.apiKey): Promise<string> {
  const response = await tokenize(card(number, cvc), apiKey);
  expect(response.status).toBe(201);
  return response.body.id;
}
const AMOUNT = 25;

describe('the card vault', () => {
  it('when a card is tokenized, then the token shows brand, last4, expiry and a stable fingerprint, never the number', async () => {
    const first = await tokenize(card('4242 4242 4242 4242'));
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      id: expect.stringMatching(/^tok_[0-9A-Za-z]{22}$/),
      object: 'token',
      created_at: expect.any(String),
      card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: NEXT_YEAR, fingerprint: expect.any(String) },
    });
    const again = await tokenize(card('4242-4242-4242-4242'));
    expect(again.body.id).not.toBe(first.body.id);
    expect(again.body.card.fingerprint).toBe(first.body.card.fingerprint);
    expect((await tokenize(card(CARDS.mastercard2))).body.card).toMatchObject({ brand: 'mastercard', last4: '3222' });
    expect((await tokenize(card(CARDS.amex, AMEX_CVC))).body.card).toMatchObject({ brand: 'amex', last4: '0005' });

    // Stored sealed: the test key opens it, and nothing else in the row is the number.
    const [row] = await stack.orm.em.getConnection().execute(`select * from card_tokens where id = ?`, [first.body.id]);
    expect(openPan(stack.config.cardVault!, { kid: row.key_id, sealed: row.pan_ciphertext }, first.body.id)).toBe(CARDS.visa);
    expect(() => openPan(stack.config.cardVault!, { kid: row.key_id, sealed: row.pan_ciphertext }, again.body.id)).toThrow();
    expect(Object.keys(row)).not.toContain('cvc');
  });

  it('when a card is invalid, then the answer is a 400 naming the field, without the number', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [card('4242424242424241'), 'card[number]', 'incorrect_number'],
      [card('424242424242'), 'card[number]', 'invalid_number'],
      [card('4242x42424242424'), 'card[number]', 'invalid_number'],
      [card('6011111111111117'), 'card[number]', 'incorrect_number'],
      [card(CARDS.visa, CVC, { exp_month: 13 }), 'card[exp_month]', 'invalid_expiry_month'],
      [card(CARDS.visa, CVC, { exp_year: 2020 }), 'card[exp_year]', 'expired_card'],
      [card(CARDS.visa, '73'), 'card[cvc]', 'invalid_cvc'],
      [card(CARDS.amex, CVC), 'card[cvc]', 'invalid_cvc'],
      [card(CARDS.visa, AMEX_CVC), 'card[cvc]', 'invalid_cvc'],
      [card(CARDS.visa, CVC, { pin: '1234' }), 'card[pin]', 'parameter_unknown'],
      [{ ...card(CARDS.visa), number: Number(CARDS.visa) }, 'card[number]', 'parameter_invalid'],
      [{ exp_month: 12, exp_year: NEXT_YEAR, cvc: CVC }, 'card[number]', 'parameter_missing'],
    ];
    for (const [input, param, code] of cases) {
      const response = await tokenize(input);
      expect({ status: response.status, param: response.body.param, code: response.body.code }).toEqual({ status: 400, param, code });
      expect(findCardNumbers(JSON.stringify(response.body))).toEqual([]);
      if (input.number !== undefined)
        expect(JSON.stringify(response.body)).not.toContain(String(input.number).replace(/\D/g, '').slice(0, 12));
    }
    // A body that is not JSON, holding a number and a CVC, as a broken client might send it.
    const malformed = await stack.request('POST', '/v1/tokens', {
      apiKey: merchant.apiKey,
      rawBody: `{"card": {"number": "${CARDS.visa}", "cvc": "${CVC}", `,
    });
    expect(malformed.body).toMatchObject({ error: 'The request body is not valid JSON', code: 'invalid_json' });
    const inQuery = await stack.request('POST', `/v1/tokens?number=${CARDS.visa}&cvc=${CVC}`, {
      apiKey: merchant.apiKey,
      body: { card: card(CARDS.visa) },
    });
    expect(inQuery.body).toMatchObject({ code: 'parameter_unknown', param: 'number' });
    expect((await stack.request('POST', '/v1/tokens', { body: { card: card(CARDS.visa) } })).status).toBe(401);
  });

  it('when vault tokens are payment sources, then test cards behave like the named tokens, and only their merchant can use them while they are valid', async () => {
    const endpoint = await stack.request('POST', '/v1/webhook_endpoints', {
      apiKey: merchant.apiKey,
      body: { url: receiver.url('/cards'), enabled_events: ['*'] },
    });
    expect(endpoint.body.secret).toMatch(/^whsec_/);
    // Rotated at once: the deliveries below are signed with both, and both must stay out of every table, log and history.
    const rotated = await stack.request('POST', `/v1/webhook_endpoints/${endpoint.body.id}/rotate_secret`, { apiKey: merchant.apiKey });
    expect(rotated.body.secret).toMatch(/^whsec_/);
    SECRETS.push(
      { label: 'webhook signing secret (rotated out)', value: endpoint.body.secret },
      { label: 'webhook signing secret', value: rotated.body.secret },
    );
    // Stored sealed, bound to the endpoint: the test key opens both.
    const [row] = await stack.orm.em.getConnection().execute(`select * from webhook_endpoints where id = ?`, [endpoint.body.id]);
    const binding = webhookSecretBinding(endpoint.body.id);
    expect(openSecret(stack.config.cardVault!, { keyId: row.secret_key_id, ciphertext: row.secret_ciphertext }, binding)).toBe(
      rotated.body.secret,
    );
    expect(
      openSecret(stack.config.cardVault!, { keyId: row.previous_secret_key_id, ciphertext: row.previous_secret_ciphertext }, binding),
    ).toBe(endpoint.body.secret);
    expect([row.secret, row.previous_secret]).toEqual([null, null]);
    const visa = await token(CARDS.visa);
    const paid = await createPayment(stack, merchant, { amount: AMOUNT, source: visa });
    expect(paid).toMatchObject({ status: 'succeeded', source: visa });
    const outcomes = await Promise.all(
      [CARDS.declined, CARDS.insufficient, CARDS.expiredBehaviour].map(async (number) =>
        createPayment(stack, merchant, { amount: AMOUNT, source: await token(number) }),
      ),
    );
    expect(outcomes.map((p) => [p.status, p.failure_code])).toEqual([
      ['failed', 'card_declined'],
      ['failed', 'insufficient_funds'],
      ['failed', 'expired_card'],
    ]);

    // Authorize, then capture; authorize, then cancel; refund; a dispute through the test helper.
    const authorized = await createPayment(stack, merchant, { amount: AMOUNT, source: await token(CARDS.mastercard), capture: false });
    expect(authorized.status).toBe('requires_capture');
    expect((await capturePayment(stack, merchant, authorized.id)).status).toBe('succeeded');
    const toCancel = await createPayment(stack, merchant, { amount: AMOUNT, source: await token(CARDS.mastercard2), capture: false });
    expect((await cancelPayment(stack, merchant, toCancel.id)).status).toBe('canceled');
    const refund = await createRefund(stack, merchant, paid.id, { amount: 5 });
    expect(refund).toMatchObject({ status: 'succeeded' });
    const amexPayment = await createPayment(stack, merchant, { amount: AMOUNT, source: await token(CARDS.amex, AMEX_CVC) });
    expect(amexPayment.status).toBe('succeeded');
    const dispute = await simulateDispute(stack, merchant, amexPayment.id);
    expect(dispute).toMatchObject({ object: 'dispute', status: 'needs_response' });

    // Another merchant's token, an unknown one and an expired one are refused before anything starts.
    const refused = [
      await createPayment(stack, other, { amount: AMOUNT, source: visa, raw: true }),
      await stack.request('POST', '/v1/customers', { apiKey: other.apiKey, body: { email: 'x@example.com', source: visa } }),
      await createPayment(stack, merchant, { amount: AMOUNT, source: 'tok_0000000000000000000000', raw: true }),
    ];
    const expiring = await token(CARDS.visaOther);
    await stack.orm.em.getConnection().execute(`update card_tokens set exp_year = 2020 where id = ?`, [expiring]);
    refused.push(await createPayment(stack, merchant, { amount: AMOUNT, source: expiring, raw: true }));
    for (const response of refused) expect(response.body).toMatchObject({ code: 'invalid_source', param: 'source' });

    await eventually(async () => (receiver.received('/cards').some((r) => r.body.includes('dispute.created')) ? true : undefined), 20_000);
  });

  it('when one card is tokenized again and again, then the velocity limit still counts it as one card, and its blocklisted fingerprint blocks every token', async () => {
    const own = await stack.createMerchant('Card velocity');
    merchants.push(own);
    const results = [];
    for (let i = 0; i < 4; i++)
      results.push(await createPayment(stack, own, { amount: AMOUNT, source: await token(CARDS.visa, CVC, own.apiKey) }));
    expect(results.map((p) => p.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'failed']);
    expect(results[3].failure_code).toBe('fraud_blocked');

    const fingerprint = (await tokenize(card(CARDS.mastercard), own.apiKey)).body.card.fingerprint;
    await stack.orm.em
      .getConnection()
      .execute(`insert into fraud_blocklist (id, merchant_id, kind, value, reason) values (?, ?, 'card_fingerprint', ?, 'test')`, [
        `bl_${own.id}`,
        own.id,
        fingerprint,
      ]);
    const blocked = await createPayment(stack, own, { amount: AMOUNT, source: await token(CARDS.mastercard, CVC, own.apiKey) });
    expect(blocked).toMatchObject({ status: 'failed', failure_code: 'fraud_blocked' });
  });

  it('when a customer pays a subscription with a vault token, then renewals charge it through the payment path', async () => {
    const customer = await stack.request('POST', '/v1/customers', {
      apiKey: merchant.apiKey,
      body: { email: 'card@example.com', source: await token(CARDS.visaOther) },
    });
    expect(customer.status).toBe(201);
    const plan = await stack.request('POST', '/v1/plans', {
      apiKey: merchant.apiKey,
      body: { name: 'daily', amount: 3, currency: 'USD', interval: 'day' },
    });
    const subscription = await stack.request('POST', '/v1/subscriptions', {
      apiKey: merchant.apiKey,
      body: { customer: customer.body.id, plan: plan.body.id },
    });
    expect(subscription.body.status).toBe('active');
    await eventually(async () => {
      const invoices = (await stack.request('GET', `/v1/invoices?subscription=${subscription.body.id}`, { apiKey: merchant.apiKey })).body
        .data;
      return invoices.filter((invoice: { status: string }) => invoice.status === 'paid').length >= 2 ? true : undefined;
    });
    const newCard = await stack.request('POST', `/v1/customers/${customer.body.id}/sources`, {
      apiKey: merchant.apiKey,
      body: { source: await token(CARDS.mastercard) },
    });
    expect(newCard.body.default_source).toMatch(/^tok_/);
    expect(
      (await stack.request('POST', `/v1/subscriptions/${subscription.body.id}/cancel`, { apiKey: merchant.apiKey, body: {} })).body.status,
    ).toBe('canceled');
  }, 30_000);

  it('when a vault card pays with a receipt email and is refunded, then its receipt page and emails show the brand and last 4 only', async () => {
    const payment = await createPayment(stack, merchant, {
      amount: AMOUNT,
      source: await token(CARDS.mastercard2),
      receipt_email: 'scan@example.com',
      expectStatus: 'succeeded',
    });
    await createRefund(stack, merchant, payment.id, { amount: 5, expectStatus: 'succeeded' });
    const page = await stack.request('GET', new URL(payment.receipt_url as string).pathname);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Mastercard ending in 3222');
    pages.push({ where: `receipt page of ${payment.id}`, text: page.body });
    // Without SMTP_URL the stack writes each email as an .eml file: the payment's and the refund's.
    await eventually(async () =>
      fs.existsSync(stack.config.mail.dir) && fs.readdirSync(stack.config.mail.dir).length >= 2 ? true : undefined,
    );
  });
});

describe('the hosted payment page', () => {
  it('when a customer is declined and then pays on the page, then no page, redirect or record shows the number or CVC, and the signing secret is stored sealed', async () => {
    const session = await stack.request('POST', '/v1/checkout_sessions', {
      apiKey: merchant.apiKey,
      body: { amount: AMOUNT, currency: 'USD', success_url: 'https://shop.example/ok', cancel_url: 'https://shop.example/back' },
    });
    expect(session.status).toBe(201);
    const secret = (await stack.request('GET', '/v1/checkout_settings', { apiKey: merchant.apiKey })).body.signing_secret as string;
    SECRETS.push({ label: 'checkout signing secret', value: secret });
    let cookie = '';
    const browse = async (method: 'GET' | 'POST', fields?: Record<string, string>) => {
      const response = await fetch(session.body.url, {
        method,
        redirect: 'manual',
        headers: {
          accept: 'text/html',
          ...(cookie ? { cookie } : {}),
          ...(fields ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body: fields ? new URLSearchParams(fields).toString() : undefined,
      });
      cookie = response.headers.get('set-cookie')?.split(';')[0] ?? cookie;
      const text = `${response.headers.get('location') ?? ''}\n${await response.text()}`;
      pages.push({ where: `checkout page ${method} (${response.status})`, text });
      return { status: response.status, text };
    };
    const csrf = (text: string) => /name="csrf_token" value="([^"]+)"/.exec(text)?.[1] ?? '';
    const form = await browse('GET');
    const pay = (number: string, csrfToken: string) =>
      browse('POST', { card_number: number, card_expiry: `12 / ${NEXT_YEAR % 100}`, card_cvc: CVC, csrf_token: csrfToken });
    const invalid = await pay('4242424242424241', csrf(form.text));
    expect(invalid.status).toBe(422);
    const declined = await pay(CARDS.declined, csrf(invalid.text));
    expect(declined.text).toContain('Your card was declined.');
    const paid = await pay(CARDS.visa, csrf(declined.text));
    expect(paid.status).toBe(303);
    expect(paid.text).toContain('payment_status=paid');
    const [sealed] = await stack.orm.em
      .getConnection()
      .execute(`select * from checkout_signing_secrets where merchant_id = ?`, [merchant.id]);
    expect(
      openSecret(
        stack.config.cardVault!,
        { keyId: sealed.key_id, ciphertext: sealed.ciphertext },
        `${merchant.id}:checkout_signing_secret`,
      ),
    ).toBe(secret);
  });
});

describe('gateway credentials', () => {
  it('when a merchant connects Stripe and pays through it with vault cards and Stripe events, then its keys are stored only sealed', async () => {
    const stripeMerchant = await stack.createMerchant('Card scan, Stripe');
    merchants.push(stripeMerchant);
    const secretKey = `sk_test_${randomBase62(32)}`;
    const webhookSecret = `whsec_${Buffer.from(randomBase62(24)).toString('base64')}`;
    stripe.addAccount({ secretKey, webhookSecret });
    SECRETS.push({ label: 'stripe secret key', value: secretKey }, { label: 'stripe webhook secret', value: webhookSecret });
    // A refused key is echoed nowhere either.
    const refusedKey = `sk_test_${randomBase62(32)}`;
    SECRETS.push({ label: 'refused stripe key', value: refusedKey });
    const refused = await stack.request('POST', '/v1/gateway_accounts', {
      apiKey: stripeMerchant.apiKey,
      body: { gateway: 'stripe', credentials: { secret_key: refusedKey } },
    });
    expect(refused.body.code).toBe('invalid_credentials');

    const account = await stack.request('POST', '/v1/gateway_accounts', {
      apiKey: stripeMerchant.apiKey,
      body: { gateway: 'stripe', credentials: { secret_key: secretKey, webhook_secret: webhookSecret } },
    });
    expect(account.status).toBe(201);
    stripe.updateAccount(secretKey, { webhookUrl: `${stack.baseUrl}${account.body.webhook_url_path}` });
    const [row] = await stack.orm.em.getConnection().execute(`select * from gateway_accounts where id = ?`, [account.body.id]);
    const sealed = { keyId: row.credentials_key_id, ciphertext: row.credentials_ciphertext };
    expect(JSON.parse(openSecret(stack.config.cardVault!, sealed, credentialsBinding(account.body.id)))).toEqual({
      secret_key: secretKey,
      webhook_secret: webhookSecret,
    });
    expect(() => openSecret(stack.config.cardVault!, sealed, credentialsBinding('gwa_another'))).toThrow();

    const vaultCard = await token(CARDS.visa, CVC, stripeMerchant.apiKey);
    const paid = await createPayment(stack, stripeMerchant, {
      amount: AMOUNT,
      source: vaultCard,
      capture: false,
      expectStatus: 'requires_capture',
    });
    await capturePayment(stack, stripeMerchant, paid.id);
    await createRefund(stack, stripeMerchant, paid.id, { amount: 5, expectStatus: 'succeeded' });
    const disputed = await createPayment(stack, stripeMerchant, {
      amount: AMOUNT,
      source: 'pm_card_createDispute',
      expectStatus: 'succeeded',
    });
    await eventually(async () => {
      const list = await stack.request('GET', `/v1/disputes?payment_id=${disputed.id}`, { apiKey: stripeMerchant.apiKey });
      return list.body.data?.[0];
    });
  });
});

describe('the scan for card data', () => {
  it('when a card number or a CVC is planted in a text, then the scanner finds it (so the scan below can fail)', () => {
    expect(findCardNumbers(`{"note":"card ${CARDS.amex} used"}`)).toEqual([CARDS.amex]);
    expect(findCardNumbers(`x=${CARDS.visa}`)).toEqual([CARDS.visa]);
    expect(
      findCardNumbers(`${CARDS.mastercard2} 4242424242424241 1763712345679 20261121080000 pay_4242424242424242abcdefabcdefabcdefabcdef`),
    ).toEqual([CARDS.mastercard2]);
    expect(findCvcs('{"cvc":"737"}', [CVC])).toHaveLength(1);
    expect(findCvcs('{"cvc":"[redacted]","amount":737}', [CVC])).toEqual([]);
    expect(scanForCardData([{ where: 'log', text: `number=${CARDS.mastercard} cvc: 7373` }], [AMEX_CVC])).toHaveLength(2);
  });

  it('when a signing secret is planted as it is, as its base64 key, or as bytes read in hex, then the scanner finds it (so the scan below can fail)', () => {
    const secret: NamedSecret = { label: 'planted', value: `whsec_${Buffer.from('planted-secret-24-bytes!').toString('base64')}` };
    const key = secret.value.slice('whsec_'.length);
    const keyHex = Buffer.from(key, 'base64').toString('hex');
    expect(findSecrets([{ where: 'log', text: `{"secret":"${secret.value}"}` }], [secret])).toEqual([
      'log: planted (as given)',
      'log: planted (base64 key)',
    ]);
    expect(findSecrets([{ where: 'events.data', text: `{"key":"${key}"}` }], [secret])).toEqual(['events.data: planted (base64 key)']);
    expect(findSecrets([{ where: 'bytea (hex)', text: `\\x00${keyHex.toUpperCase()}ff` }], [secret])).toEqual([
      'bytea (hex): planted (key bytes in hex)',
    ]);
    expect(findSecrets([{ where: 'log', text: `{"secret":"[redacted]","id":"we_123"}` }], [secret])).toEqual([]);
  });

  it('when every path has run, then no table, log line, webhook body or workflow history holds a card number, a CVC or a signing secret', async () => {
    const sources: { where: string; text: string }[] = [];
    const secretSources: { where: string; text: string }[] = [];
    const connection = stack.orm.em.getConnection();

    const columns = await connection.execute<{ table_schema: string; table_name: string; column_name: string; data_type: string }[]>(
      `select c.table_schema, c.table_name, c.column_name, c.data_type
         from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
        where c.table_schema not in ('pg_catalog', 'information_schema') and t.table_type = 'BASE TABLE'
          and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'ARRAY', 'USER-DEFINED')`,
    );
    expect(columns.map((c) => `${c.table_name}.${c.column_name}`)).toEqual(
      expect.arrayContaining(['card_tokens.pan_ciphertext', 'payments.source', 'events.data', 'webhook_endpoints.secret_ciphertext']),
    );
    for (const column of columns) {
      const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
      // bytea as escaped text: printable bytes as they are, so a number stored in clear in a bytea column shows.
      const value = column.data_type === 'bytea' ? `encode(${ident(column.column_name)}, 'escape')` : `${ident(column.column_name)}::text`;
      const [row] = await connection.execute<{ text: string | null }[]>(
        `select string_agg(${value}, E'\\n') as text from ${ident(column.table_schema)}.${ident(column.table_name)}`,
      );
      sources.push({ where: `table ${column.table_name}.${column.column_name}`, text: row.text ?? '' });
      // Secrets' raw bytes are not printable: a bytea column is also read as hex for them.
      if (column.data_type === 'bytea') {
        const [hex] = await connection.execute<{ text: string | null }[]>(
          `select string_agg(encode(${ident(column.column_name)}, 'hex'), E'\\n') as text from ${ident(column.table_schema)}.${ident(column.table_name)}`,
        );
        secretSources.push({ where: `table ${column.table_name}.${column.column_name} (hex)`, text: hex.text ?? '' });
      }
    }

    expect(pages.length).toBeGreaterThan(0);
    sources.push(...pages);
    const mailFiles = fs.readdirSync(stack.config.mail.dir);
    expect(mailFiles.length).toBeGreaterThanOrEqual(2);
    sources.push(
      // Quoted-printable undone: a soft line break must not split a number out of the scan's sight.
      ...mailFiles.map((file) => ({
        where: `email ${file}`,
        text: decodeQuotedPrintable(fs.readFileSync(path.join(stack.config.mail.dir, file), 'utf8')),
      })),
    );

    expect(logLines.some((line) => line.includes('"level":20'))).toBe(true);
    sources.push({ where: 'API log', text: logLines.join('') });

    const webhooks = receiver.received('/cards');
    expect(webhooks.length).toBeGreaterThan(5);
    sources.push(
      ...webhooks.map((delivery) => ({
        where: `webhook ${delivery.headers['webhook-id']}`,
        text: `${JSON.stringify(delivery.headers)}\n${delivery.body}`,
      })),
    );

    const codec = new AesGcmPayloadCodec(stack.config.temporal.payloadKeys);
    const workflowIds: string[] = [];
    for (const { id } of merchants) {
      for await (const execution of stack.client.workflow.list({ query: `MerchantId = '${id}'` })) {
        workflowIds.push(execution.workflowId);
        const history = await stack.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
        sources.push({ where: `history ${execution.workflowId}`, text: historyToJSON(history) });
        // Payloads are encrypted at rest; what the workflow itself saw is their decoded form.
        const decoded = await codec.decode(payloadsIn(history));
        sources.push({
          where: `history ${execution.workflowId} (decoded)`,
          text: decoded.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n'),
        });
      }
    }
    expect(workflowIds.some((id) => id.startsWith('payment-'))).toBe(true);
    expect(workflowIds.some((id) => id.startsWith('subscription-'))).toBe(true);
    expect(workflowIds.some((id) => id.startsWith('dispute-'))).toBe(true);
    expect(workflowIds.some((id) => id.startsWith('receipt-email-'))).toBe(true);
    expect(workflowIds.some((id) => id.startsWith('checkout-'))).toBe(true);

    expect(scanForCardData(sources, [CVC, AMEX_CVC])).toEqual([]);
    // The scan saw the test's tokens (so it read the right places), just never the numbers behind them.
    expect(sources.some((source) => source.where.startsWith('history payment-') && source.text.includes('tok_'))).toBe(true);
    for (const number of ALL_NUMBERS)
      expect(sources.filter((source) => source.text.includes(number)).map((source) => source.where)).toEqual([]);

    expect(SECRETS.map((secret) => secret.label)).toEqual(
      expect.arrayContaining(['webhook signing secret', 'stripe secret key', 'stripe webhook secret', 'refused stripe key']),
    );
    expect(secretSources.map((source) => source.where)).toEqual(
      expect.arrayContaining(['table webhook_endpoints.secret_ciphertext (hex)', 'table gateway_accounts.credentials_ciphertext (hex)']),
    );
    expect(sources.some((source) => source.where.startsWith('history webhook-'))).toBe(true);
    expect(findSecrets([...sources, ...secretSources], SECRETS)).toEqual([]);
  }, 60_000);
});

/** Every payload in a fetched history, wherever it sits (inputs, results, failures' details, memos, updates). */
function payloadsIn(root: unknown): Payload[] {
  const found: Payload[] = [];
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) continue;
    const record = value as Record<string, unknown>;
    if (record.data instanceof Uint8Array && record.metadata && typeof record.metadata === 'object') found.push(record as Payload);
    else pending.push(...Object.values(record));
  }
  return found;
}
