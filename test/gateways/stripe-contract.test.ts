import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CredentialsRejectedError } from '../../src/gateways/gateway-connector';
import { GatewayError, type AuthorizeRequest } from '../../src/gateways/payment-gateway';
import { parseStripeApiBase, type StripeApiBase } from '../../src/gateways/stripe/stripe-api-base';
import { createStripeConnector, parseStripeCredentials } from '../../src/gateways/stripe/stripe-connector';
import { StripeGateway, type VaultCard } from '../../src/gateways/stripe/stripe-gateway';
import { StripePayoutNetwork } from '../../src/gateways/stripe/stripe-payouts';
import { PayoutNetworkAccessDenied } from '../../src/payouts/payout-network';
import { authorizationStatusOf, type PaymentIntentLike } from '../../src/gateways/stripe/stripe-mapping';
import { findFreePort } from '../../src/infra/temporal-dev-server';
import { ensureStripeMock, startStripeMock, type RunningStripeMock } from '../../src/infra/stripe-mock';
import { authorizeResultOf as authorizeResultFor } from '../../src/gateways/authorization-results';

const authorizeResultOf = (status: Parameters<typeof authorizeResultFor>[0]) => authorizeResultFor(status, 'Stripe');

/**
 * Every request our Stripe adapter and connector send, checked by stripe-mock against Stripe's own
 * OpenAPI spec (it refuses unknown parameters and wrong types). stripe-mock keeps no state, so these
 * tests assert that each request was accepted and what it carried, and that our mapping turned the
 * answer into a defined result; business outcomes are the behaviour suite's, against our fake.
 */

const ROOT = path.resolve(__dirname, '../..');
const TEST_KEY = 'sk_test_ledgerflowcontract1234';
const VAULT_TOKEN = 'tok_AbCdEfGhIjKlMnOpQrStUv';
const CARD_NUMBER = '4242424242424242';

interface Exchange {
  method: string;
  path: string;
  query: URLSearchParams;
  idempotencyKey: string | undefined;
  params: URLSearchParams;
  rawBody: string;
  status: number;
  response: Record<string, unknown> & PaymentIntentLike;
  injected: boolean;
}

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  body: unknown;
}

/** A pass-through proxy in front of stripe-mock that records each exchange and can answer one request with a fault of ours. */
async function startRecordingProxy(targetPort: number) {
  const exchanges: Exchange[] = [];
  const faults: Fault[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://proxy');
      const base = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        params: new URLSearchParams(rawBody),
        rawBody,
      };
      const faultIndex = faults.findIndex((fault) => fault.method === base.method && fault.path.test(base.path));
      if (faultIndex >= 0) {
        const [fault] = faults.splice(faultIndex, 1);
        exchanges.push({ ...base, status: fault.status, response: fault.body as Exchange['response'], injected: true });
        res.writeHead(fault.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(fault.body));
        return;
      }
      const upstream = http.request(
        { host: '127.0.0.1', port: targetPort, method: base.method, path: req.url, headers: req.headers },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8');
            exchanges.push({
              ...base,
              status: answer.statusCode ?? 0,
              response: JSON.parse(text) as Exchange['response'],
              injected: false,
            });
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(text);
          });
        },
      );
      upstream.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      upstream.end(rawBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    exchanges,
    failNext: (fault: Fault) => faults.push(fault),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Proxy = Awaited<ReturnType<typeof startRecordingProxy>>;
type Outcome<T> = { ok: true; value: T } | { ok: false; failureType: string; message: string };

async function outcomeOf<T>(call: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call };
  } catch (error) {
    if (error instanceof GatewayError) return { ok: false, failureType: error.failureType, message: error.message };
    throw error;
  }
}

/** What our mapping makes of the PaymentIntent stripe-mock answered with: the adapter must have returned exactly that. */
function expectedAuthorizeOutcome(intent: PaymentIntentLike): Promise<Outcome<unknown>> {
  return outcomeOf(Promise.resolve().then(() => authorizeResultOf(authorizationStatusOf(intent))));
}

const API_ERROR_WITH_CARD = { error: { type: 'api_error', message: `Something broke while handling ${CARD_NUMBER}` } };

let mock: RunningStripeMock;
let proxy: Proxy;
let apiBase: StripeApiBase;
let openedCards: Array<{ merchantId: string; tokenId: string }>;

const openCard = async (merchantId: string, tokenId: string): Promise<VaultCard | undefined> => {
  openedCards.push({ merchantId, tokenId });
  return merchantId === 'mer_owner' ? { number: CARD_NUMBER, expMonth: 12, expYear: 2034 } : undefined;
};

function gateway(): StripeGateway {
  return new StripeGateway({ secretKey: TEST_KEY, livemode: false, apiBase, openCard, timeoutMs: 10_000 });
}

function authorizeRequest(overrides: Partial<AuthorizeRequest> = {}): AuthorizeRequest {
  return {
    idempotencyKey: 'pay_contract1:authorize',
    paymentId: 'pay_contract1',
    amountMinor: 1099,
    currency: 'USD',
    source: 'pm_card_visa',
    capture: false,
    ...overrides,
  };
}

function onlyExchange(): Exchange {
  expect(proxy.exchanges).toHaveLength(1);
  return proxy.exchanges[0];
}

beforeAll(async () => {
  const log = (message: string) => process.stderr.write(`[stripe-mock] ${message}\n`);
  const binary = await ensureStripeMock({ toolsDir: path.join(ROOT, '.tools'), explicitPath: process.env.STRIPE_MOCK_PATH, log });
  mock = await startStripeMock({ path: binary, log });
  proxy = await startRecordingProxy(mock.port);
  apiBase = parseStripeApiBase(`http://127.0.0.1:${proxy.port}`)!;
});

afterAll(async () => {
  await proxy?.close();
  await mock?.stop();
});

beforeEach(() => {
  proxy.exchanges.length = 0;
  openedCards = [];
});

describe('authorize against stripe-mock', () => {
  it('creates and confirms a manual-capture PaymentIntent with a pm_ id, under our key, with our payment id', async () => {
    const result = await outcomeOf(gateway().authorize(authorizeRequest({ returnUrl: 'https://shop.example/return' })));
    const exchange = onlyExchange();
    expect(exchange).toMatchObject({ method: 'POST', path: '/v1/payment_intents', status: 200, idempotencyKey: 'pay_contract1:authorize' });
    expect(Object.fromEntries(exchange.params)).toEqual({
      amount: '1099',
      currency: 'usd',
      capture_method: 'manual',
      confirm: 'true',
      payment_method: 'pm_card_visa',
      'allowed_payment_method_types[0]': 'card',
      'metadata[ledgerflow_payment_id]': 'pay_contract1',
      return_url: 'https://shop.example/return',
    });
    expect(result).toEqual(await expectedAuthorizeOutcome(exchange.response));
  });

  it('asks for automatic capture for a sale, and sends no return_url when none is given', async () => {
    const result = await outcomeOf(gateway().authorize(authorizeRequest({ capture: true, idempotencyKey: 'pay_contract2:authorize' })));
    const exchange = onlyExchange();
    expect(exchange.status).toBe(200);
    expect(exchange.params.get('capture_method')).toBe('automatic');
    expect(exchange.params.has('return_url')).toBe(false);
    expect(result).toEqual(await expectedAuthorizeOutcome(exchange.response));
  });

  it('turns a vault card into a PaymentMethod under <key>:payment_method, then confirms with it; the number goes nowhere else', async () => {
    const result = await outcomeOf(gateway().authorize(authorizeRequest({ source: VAULT_TOKEN, merchantId: 'mer_owner' })));
    expect(openedCards).toEqual([{ merchantId: 'mer_owner', tokenId: VAULT_TOKEN }]);
    expect(proxy.exchanges).toHaveLength(2);
    const [method, intent] = proxy.exchanges;
    expect(method).toMatchObject({
      method: 'POST',
      path: '/v1/payment_methods',
      status: 200,
      idempotencyKey: 'pay_contract1:authorize:payment_method',
    });
    expect(Object.fromEntries(method.params)).toEqual({
      type: 'card',
      'card[number]': CARD_NUMBER,
      'card[exp_month]': '12',
      'card[exp_year]': '2034',
    });
    expect(intent).toMatchObject({ method: 'POST', path: '/v1/payment_intents', status: 200, idempotencyKey: 'pay_contract1:authorize' });
    expect(intent.params.get('payment_method')).toBe(method.response.id);
    expect(intent.rawBody).not.toContain(CARD_NUMBER);
    expect(JSON.stringify(result)).not.toContain(CARD_NUMBER);
    expect(result).toEqual(await expectedAuthorizeOutcome(intent.response));
  });

  it("refuses another merchant's vault token before any request", async () => {
    const result = await outcomeOf(gateway().authorize(authorizeRequest({ source: VAULT_TOKEN, merchantId: 'mer_other' })));
    expect(result).toMatchObject({ ok: false, failureType: 'InvalidSource' });
    expect(proxy.exchanges).toHaveLength(0);
  });

  it('turns a Stripe test token into a PaymentMethod first (stripe-mock refuses card data in payment_method_data)', async () => {
    const result = await outcomeOf(gateway().authorize(authorizeRequest({ source: 'tok_visa' })));
    expect(proxy.exchanges).toHaveLength(2);
    const [method, intent] = proxy.exchanges;
    expect(method).toMatchObject({ path: '/v1/payment_methods', status: 200, idempotencyKey: 'pay_contract1:authorize:payment_method' });
    expect(Object.fromEntries(method.params)).toEqual({ type: 'card', 'card[token]': 'tok_visa' });
    expect(intent.status).toBe(200);
    expect(intent.params.get('payment_method')).toBe(method.response.id);
    expect(result).toEqual(await expectedAuthorizeOutcome(intent.response));
  });

  it('reports a lost answer as GatewayOutcomeUnknown, never as a decline, and keeps the card number out of it', async () => {
    proxy.failNext({ method: 'POST', path: /^\/v1\/payment_intents$/, status: 500, body: API_ERROR_WITH_CARD });
    const result = await outcomeOf(gateway().authorize(authorizeRequest({ source: VAULT_TOKEN, merchantId: 'mer_owner' })));
    expect(result).toMatchObject({ ok: false, failureType: 'GatewayOutcomeUnknown' });
    expect(JSON.stringify(result)).not.toContain(CARD_NUMBER);
  });

  it('is refused by stripe-mock when the request is malformed (a fractional amount), as GatewayMisconfigured', async () => {
    // stripe-mock checks types, enums and unknown parameters, but not minimums: a negative amount passes it.
    const result = await outcomeOf(gateway().authorize(authorizeRequest({ amountMinor: 10.5 })));
    expect(onlyExchange().status).toBe(400);
    expect(result).toMatchObject({ ok: false, failureType: 'GatewayMisconfigured' });
    expect(result.ok ? '' : result.message).toMatch(/amount/);
  });
});

describe('capture, void and refund against stripe-mock', () => {
  it('captures in full and in part with amount_to_capture under the capture key, then syncs the status it was not shown', async () => {
    for (const amount of [1099, 500]) {
      proxy.exchanges.length = 0;
      const result = await outcomeOf(
        gateway().capture({ idempotencyKey: 'pay_contract1:capture', reference: 'pi_contract1', amountMinor: amount, currency: 'usd' }),
      );
      const [capture, sync] = proxy.exchanges;
      expect(capture).toMatchObject({
        method: 'POST',
        path: '/v1/payment_intents/pi_contract1/capture',
        status: 200,
        idempotencyKey: 'pay_contract1:capture',
      });
      expect(Object.fromEntries(capture.params)).toEqual({ amount_to_capture: String(amount) });
      if (capture.response.status === 'succeeded') {
        expect(result).toEqual({ ok: true, value: { reference: capture.response.id, capturedMinor: capture.response.amount_received } });
      } else {
        // stripe-mock's stateless answer is not `succeeded`: the adapter reads the PaymentIntent back, then leaves it to a retry.
        expect(sync).toMatchObject({ method: 'GET', path: '/v1/payment_intents/pi_contract1', status: 200 });
        expect(result).toMatchObject({ ok: false, failureType: 'GatewayTimeout' });
      }
    }
  });

  it('refuses a malformed capture amount as GatewayMisconfigured after checking the PaymentIntent', async () => {
    const result = await outcomeOf(
      gateway().capture({ idempotencyKey: 'pay_contract1:capture', reference: 'pi_contract1', amountMinor: 1.5, currency: 'usd' }),
    );
    expect(proxy.exchanges.map((exchange) => [exchange.method, exchange.status])).toEqual([
      ['POST', 400],
      ['GET', 200],
    ]);
    expect(result).toMatchObject({ ok: false, failureType: 'GatewayMisconfigured' });
  });

  it('voids by canceling the PaymentIntent under the void key', async () => {
    const result = await outcomeOf(
      gateway().void({ idempotencyKey: 'pay_contract1:void', reference: 'pi_contract1', amountMinor: 1099, currency: 'usd' }),
    );
    const [cancel, sync] = proxy.exchanges;
    expect(cancel).toMatchObject({
      method: 'POST',
      path: '/v1/payment_intents/pi_contract1/cancel',
      status: 200,
      idempotencyKey: 'pay_contract1:void',
    });
    expect(cancel.rawBody).toBe('');
    if (cancel.response.status === 'canceled') expect(result).toEqual({ ok: true, value: { reference: cancel.response.id } });
    else {
      expect(sync).toMatchObject({ method: 'GET', path: '/v1/payment_intents/pi_contract1', status: 200 });
      expect(result).toMatchObject({ ok: false, failureType: 'GatewayTimeout' });
    }
  });

  it('refunds in several parts, each under its own key with the key in the metadata', async () => {
    for (const [key, amount] of [
      ['re_contract1:refund', 300],
      ['re_contract2:refund', 200],
    ] as const) {
      proxy.exchanges.length = 0;
      const result = await outcomeOf(
        gateway().refund({ idempotencyKey: key, reference: 'pi_contract1', amountMinor: amount, currency: 'usd' }),
      );
      const exchange = onlyExchange();
      expect(exchange).toMatchObject({ method: 'POST', path: '/v1/refunds', status: 200, idempotencyKey: key });
      expect(Object.fromEntries(exchange.params)).toEqual({
        payment_intent: 'pi_contract1',
        amount: String(amount),
        'metadata[ledgerflow_refund_key]': key,
      });
      expect(result).toEqual({ ok: true, value: { reference: exchange.response.id } });
    }
  });

  it("resolves a refund's lost answer by listing the PaymentIntent's refunds, and leaves it to a retry when ours is not there", async () => {
    proxy.failNext({ method: 'POST', path: /^\/v1\/refunds$/, status: 502, body: API_ERROR_WITH_CARD });
    const result = await outcomeOf(
      gateway().refund({ idempotencyKey: 're_contract3:refund', reference: 'pi_contract1', amountMinor: 100, currency: 'usd' }),
    );
    const [refund, list] = proxy.exchanges;
    expect(refund.injected).toBe(true);
    expect(list).toMatchObject({ method: 'GET', path: '/v1/refunds', status: 200 });
    expect(Object.fromEntries(list.query)).toEqual({ payment_intent: 'pi_contract1', limit: '100' });
    // stripe-mock's listed refund does not carry our key, so nothing is confirmed: Temporal retries under the same key.
    expect(result).toMatchObject({ ok: false, failureType: 'GatewayTimeout' });
    expect(JSON.stringify(result)).not.toContain(CARD_NUMBER);
  });

  it("resolves a capture's lost answer by reading the PaymentIntent back", async () => {
    proxy.failNext({ method: 'POST', path: /\/capture$/, status: 503, body: API_ERROR_WITH_CARD });
    const result = await outcomeOf(
      gateway().capture({ idempotencyKey: 'pay_contract1:capture', reference: 'pi_contract1', amountMinor: 1099, currency: 'usd' }),
    );
    const [, sync] = proxy.exchanges;
    expect(sync).toMatchObject({ method: 'GET', path: '/v1/payment_intents/pi_contract1', status: 200 });
    const expected = sync.response.status === 'succeeded' ? { ok: true } : { ok: false, failureType: 'GatewayTimeout' };
    expect(result).toMatchObject(expected);
  });
});

describe('status sync against stripe-mock', () => {
  it('retrieves the PaymentIntent when the reference is known', async () => {
    const status = await gateway().lookupAuthorization({
      idempotencyKey: 'pay_contract1:authorize',
      paymentId: 'pay_contract1',
      reference: 'pi_contract1',
      amountMinor: 1099,
      currency: 'usd',
    });
    const exchange = onlyExchange();
    expect(exchange).toMatchObject({ method: 'GET', path: '/v1/payment_intents/pi_contract1', status: 200 });
    expect(status).toEqual(authorizationStatusOf(exchange.response));
  });

  it('searches by our payment id in the metadata when no reference is known, and keeps only real matches', async () => {
    const status = await gateway().lookupAuthorization({
      idempotencyKey: 'pay_contract1:authorize',
      paymentId: 'pay_contract1',
      reference: null,
      amountMinor: 1099,
      currency: 'usd',
    });
    const exchange = onlyExchange();
    expect(exchange).toMatchObject({ method: 'GET', path: '/v1/payment_intents/search', status: 200 });
    expect(Object.fromEntries(exchange.query)).toEqual({ query: "metadata['ledgerflow_payment_id']:'pay_contract1'", limit: '10' });
    // stripe-mock answers any search with its fixture, whose metadata is not ours.
    const data = (exchange.response as unknown as { data: Array<{ metadata: Record<string, string> }> }).data;
    if (data.every((intent) => intent.metadata.ledgerflow_payment_id !== 'pay_contract1')) expect(status).toEqual({ outcome: 'not_found' });
  });
});

describe('refund status and PaymentIntent ownership against stripe-mock', () => {
  it("reads a pending refund's status back by its id", async () => {
    const status = await gateway().lookupRefund('re_contract1');
    const exchange = onlyExchange();
    expect(exchange).toMatchObject({ method: 'GET', path: '/v1/refunds/re_contract1', status: 200 });
    const stripeStatus = (exchange.response as unknown as { status: string }).status;
    const expected =
      stripeStatus === 'succeeded' ? 'succeeded' : stripeStatus === 'failed' || stripeStatus === 'canceled' ? 'failed' : 'pending';
    expect(status).toEqual({ reference: 're_contract1', status: expected });
  });

  it("reads our payment id from a disputed PaymentIntent's metadata (the events receiver's ownership check)", async () => {
    const paymentId = await gateway().paymentIdOf('pi_contract1');
    const exchange = onlyExchange();
    expect(exchange).toMatchObject({ method: 'GET', path: '/v1/payment_intents/pi_contract1', status: 200 });
    const metadata = (exchange.response as unknown as { metadata: Record<string, string> }).metadata;
    expect(paymentId).toBe(metadata.ledgerflow_payment_id ?? null);
  });
});

describe('connector against stripe-mock', () => {
  it('verifies a test key with one balance read', async () => {
    await expect(createStripeConnector({ apiBase }).verifyCredentials({ secret_key: TEST_KEY })).resolves.toBeUndefined();
    expect(onlyExchange()).toMatchObject({ method: 'GET', path: '/v1/balance', status: 200 });
  });

  it("rejects a key Stripe refuses with Stripe's reason, the key masked", async () => {
    const liveKey = 'sk_live_notvalidforthemock9876';
    const error = await createStripeConnector({ apiBase })
      .verifyCredentials({ secret_key: liveKey })
      .catch((caught: unknown) => caught);
    expect(onlyExchange().status).toBe(401);
    expect(error).toBeInstanceOf(CredentialsRejectedError);
    expect((error as Error).message).toMatch(/authenticate/i);
    expect((error as Error).message).not.toContain(liveKey);
  });

  it('says Stripe could not be reached when nothing answers', async () => {
    const closed = parseStripeApiBase(`http://127.0.0.1:${await findFreePort()}`)!;
    const error = await createStripeConnector({ apiBase: closed })
      .verifyCredentials({ secret_key: TEST_KEY })
      .catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(CredentialsRejectedError);
    expect((error as Error).message).toMatch(/could not be reached/);
    expect((error as Error).message).not.toContain(TEST_KEY);
  });

  it('binds an adapter to an account', async () => {
    const adapter = await createStripeConnector({ apiBase, openCard }).adapterFor({
      id: 'gwa_1',
      livemode: false,
      credentials: { secret_key: TEST_KEY },
    });
    expect(adapter).toMatchObject({ name: 'stripe', livemode: false });
    expect(adapter.recognizesSource(VAULT_TOKEN)).toBe(true);
    await expect(adapter.riskLevel('pm_card_visa')).resolves.toBe('normal');
  });
});

describe('payouts against stripe-mock', () => {
  // Exactly the calls the Stripe payout network makes, through the SDK configured as our adapter configures it.
  const sdk = () => new Stripe(TEST_KEY, { maxNetworkRetries: 0, telemetry: false, timeout: 10_000, ...apiBase });
  const payoutOf = (exchange: Exchange) => exchange.response as unknown as { object: string; status: unknown; arrival_date: unknown };

  it('creates a payout under our transfer key with our ids in the metadata, the destination expanded', async () => {
    const payout = await sdk().payouts.create(
      {
        amount: 1234,
        currency: 'usd',
        description: 'Ledgerflow payout po_x',
        metadata: { ledgerflow_payout: 'po_x', ledgerflow_transfer_key: 'po_x:transfer' },
        expand: ['destination'],
      },
      { idempotencyKey: 'po_x:transfer' },
    );
    const exchange = onlyExchange();
    expect(exchange).toMatchObject({ method: 'POST', path: '/v1/payouts', status: 200, idempotencyKey: 'po_x:transfer' });
    expect(Object.fromEntries(exchange.params)).toEqual({
      amount: '1234',
      currency: 'usd',
      description: 'Ledgerflow payout po_x',
      'metadata[ledgerflow_payout]': 'po_x',
      'metadata[ledgerflow_transfer_key]': 'po_x:transfer',
      'expand[0]': 'destination',
    });
    expect(payoutOf(exchange)).toMatchObject({ object: 'payout', status: expect.any(String), arrival_date: expect.any(Number) });
    expect(payout.id).toBe((exchange.response as { id: string }).id);
  });

  it('retrieves a payout by its id, with the balance transaction of a failure expanded', async () => {
    const payout = await sdk().payouts.retrieve('po_123', { expand: ['failure_balance_transaction'] });
    const exchange = onlyExchange();
    expect(exchange).toMatchObject({ method: 'GET', path: '/v1/payouts/po_123', status: 200 });
    expect(Object.fromEntries(exchange.query)).toEqual({ 'expand[0]': 'failure_balance_transaction' });
    expect(payoutOf(exchange)).toMatchObject({ object: 'payout', status: expect.any(String), arrival_date: expect.any(Number) });
    expect(typeof payout.status).toBe('string');
  });

  it('lists payouts created since a time, a hundred at a time', async () => {
    const page = await sdk().payouts.list({ created: { gte: 1700000000 }, limit: 100 });
    const exchange = onlyExchange();
    expect(exchange).toMatchObject({ method: 'GET', path: '/v1/payouts', status: 200 });
    expect(Object.fromEntries(exchange.query)).toEqual({ 'created[gte]': '1700000000', limit: '100' });
    const list = exchange.response as unknown as { object: string; data: unknown[] };
    expect(list.object).toBe('list');
    expect(list.data.length).toBeGreaterThan(0);
    for (const item of list.data)
      expect(item).toMatchObject({ object: 'payout', status: expect.any(String), arrival_date: expect.any(Number) });
    expect(page.data).toHaveLength(list.data.length);
  });

  it("reads a day's statement: payouts arriving from 30 days before it to its end, failures' balance transactions expanded", async () => {
    const day = '2026-12-01';
    const movements = await new StripePayoutNetwork({ secretKey: TEST_KEY, apiBase }).statement(day);
    const exchange = onlyExchange();
    expect(exchange).toMatchObject({ method: 'GET', path: '/v1/payouts', status: 200 });
    const dayStart = Date.parse(`${day}T00:00:00Z`) / 1000;
    expect(Object.fromEntries(exchange.query)).toEqual({
      'arrival_date[gte]': String(dayStart - 30 * 86_400),
      'arrival_date[lt]': String(dayStart + 86_400),
      limit: '100',
      'expand[0]': 'data.failure_balance_transaction',
    });
    // stripe-mock's fixture payout ignores the filter; whatever it lists, only movements dated that day come out.
    for (const movement of movements) expect(movement).toMatchObject({ date: day, currency: expect.stringMatching(/^[A-Z]{3}$/) });
  });

  it('says a statement cannot be read when Stripe refuses the key, without the key', async () => {
    const liveKey = 'sk_live_notvalidforthemock9876';
    const error = await new StripePayoutNetwork({ secretKey: liveKey, apiBase }).statement('2026-12-01').catch((caught: unknown) => caught);
    expect(onlyExchange().status).toBe(401);
    expect(error).toBeInstanceOf(PayoutNetworkAccessDenied);
    expect((error as Error).message).not.toContain(liveKey);
  });
});

describe('Stripe credentials and settings (no requests)', () => {
  it('lists every missing key at once and names each bad one', () => {
    expect(parseStripeCredentials({}, false)).toEqual({ ok: false, missing: ['secret_key'], problems: [] });
    const parsed = parseStripeCredentials({ secret_key: 'sk_live_abc123', webhook_secret: 'nope', api_key: 'x' }, false);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map((problem) => problem.param).sort()).toEqual([
      'credentials.api_key',
      'credentials.secret_key',
      'credentials.webhook_secret',
    ]);
    expect(JSON.stringify(parsed)).not.toContain('sk_live_abc123');
  });

  it('takes test keys for test mode and live keys for live mode only', () => {
    expect(parseStripeCredentials({ secret_key: 'sk_test_abc1234' }, false)).toEqual({
      ok: true,
      credentials: { secret_key: 'sk_test_abc1234' },
      last4: '1234',
    });
    expect(parseStripeCredentials({ secret_key: 'rk_live_abc9876', webhook_secret: 'whsec_abc' }, true)).toEqual({
      ok: true,
      credentials: { secret_key: 'rk_live_abc9876', webhook_secret: 'whsec_abc' },
      last4: '9876',
    });
    expect(parseStripeCredentials({ secret_key: 'sk_test_abc1234' }, true).ok).toBe(false);
    expect(parseStripeCredentials({ secret_key: 'pk_test_abc1234' }, false).ok).toBe(false);
  });

  it('parses STRIPE_API_BASE and names the setting when it is wrong', () => {
    expect(parseStripeApiBase(undefined)).toBeUndefined();
    expect(parseStripeApiBase('http://127.0.0.1:12111')).toEqual({ host: '127.0.0.1', port: 12111, protocol: 'http' });
    expect(parseStripeApiBase('https://[::1]')).toEqual({ host: '::1', port: 443, protocol: 'https' });
    expect(() => parseStripeApiBase('127.0.0.1:12111')).toThrow(/STRIPE_API_BASE/);
    expect(() => parseStripeApiBase('http://localhost:12111/v1')).toThrow(/STRIPE_API_BASE/);
  });

  it('recognizes pm_ ids, Stripe tokens and, with a way to open them, vault tokens', () => {
    const withVault = gatewayWithoutNetwork(true);
    const withoutVault = gatewayWithoutNetwork(false);
    expect(withVault.recognizesSource('pm_card_visa')).toBe(true);
    expect(withVault.recognizesSource('tok_chargeDeclined')).toBe(true);
    expect(withVault.recognizesSource(VAULT_TOKEN)).toBe(true);
    expect(withoutVault.recognizesSource(VAULT_TOKEN)).toBe(false);
    expect(withVault.recognizesSource('card_123')).toBe(false);
    expect(() => new StripeGateway({ secretKey: TEST_KEY, livemode: true })).toThrow(/test-mode key/);
  });
});

function gatewayWithoutNetwork(vault: boolean): StripeGateway {
  return new StripeGateway({ secretKey: TEST_KEY, livemode: false, ...(vault ? { openCard } : {}) });
}
