import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeFake, type StripeFake } from '../../src/gateways/stripe/stripe-fake';
import { sqlFor } from '../../src/db/sql';
import { GatewayCoolDowns } from '../../src/routing/gateway-cool-downs';
import { GatewayOutageRepository } from '../../src/routing/gateway-outage-repository';
import { randomBase62 } from '../../src/shared/ids';
import { createPayment, waitForPayment, type Payment } from '../support/api-calls';
import { startTestStack, TEST_ADMIN_KEY, type TestStack } from '../support/test-stack';

let stack: TestStack;
let fake: StripeFake;

// Every sandbox call is answered "unavailable" (the sandbox's fault injection): sandbox accounts are down for the whole file.
beforeAll(async () => {
  fake = await startStripeFake({});
  stack = await startTestStack({ env: { STRIPE_API_BASE: fake.url, SANDBOX_FAULTS: 'unavailable:1' } });
});
afterAll(async () => {
  await stack?.close();
  await fake?.stop();
});

const metric = async (line: string): Promise<number> => {
  const text = (await stack.request('GET', '/metrics', { apiKey: TEST_ADMIN_KEY })).body as string;
  const found = text.split('\n').find((row) => row.startsWith(`${line} `));
  return found ? Number(found.split(' ').pop()) : 0;
};

describe('outage cool-down', () => {
  it('when an account answers unavailable 5 times within a minute, then new payments skip it, /health and /metrics show it, and failovers are counted', async () => {
    const merchant = await stack.createMerchant();
    const down = await stack.request('POST', '/v1/gateway_accounts', {
      apiKey: merchant.apiKey,
      body: { gateway: 'sandbox', priority: 1 },
    });
    expect(down.status).toBe(201);
    const secretKey = `sk_test_${randomBase62(24)}`;
    fake.addAccount({ secretKey });
    const up = await stack.request('POST', '/v1/gateway_accounts', {
      apiKey: merchant.apiKey,
      body: { gateway: 'stripe', credentials: { secret_key: secretKey }, priority: 2 },
    });
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    const [downId, upId] = [down.body.id as string, up.body.id as string];

    const pay = async (amount: number): Promise<Payment> => {
      const created = await createPayment(stack, merchant, { amount, source: 'tok_visa', raw: true });
      expect([201, 202], JSON.stringify(created.body)).toContain(created.status);
      return waitForPayment(stack, merchant, created.body.id as string, 'succeeded');
    };
    // Each payment tries the sandbox account 3 times (one attempt's retries), then fails over to Stripe.
    for (const amount of [11, 12]) {
      const payment = await pay(amount);
      expect(payment).toMatchObject({ gateway: 'stripe', gateway_account: upId, routing: { eligible: [downId, upId], skipped: [] } });
      expect(payment.attempts).toMatchObject([
        { gateway_account: downId, failure_code: 'gateway_unavailable', failed_over: true },
        { gateway_account: upId, outcome: 'approved' },
      ]);
    }

    const skipping = await pay(13);
    expect(skipping).toMatchObject({
      gateway_account: upId,
      routing: { eligible: [upId], chosen: upId, skipped: [{ gateway_account: downId, reason: 'cooling_down' }] },
    });
    // The account cooling down was not tried: the sandbox saw no call under this payment's keys.
    const faults = await stack.orm.em
      .getConnection()
      .execute(`select count(*)::int as n from sandbox_faults where idempotency_key like ?`, [`${skipping.id}:%`]);
    expect(faults[0].n).toBe(0);
    const earlier = await stack.orm.em
      .getConnection()
      .execute(`select count(*)::int as n from sandbox_faults where idempotency_key like ?`, [`%:authorize`]);
    expect(earlier[0].n).toBeGreaterThanOrEqual(6);

    const health = await stack.request('GET', '/health');
    expect(health.status).toBe(200);
    const listed = (health.body.details.gateway_accounts_cooling_down as { gateway: string; accounts: number; until: string }[]).find(
      (entry) => entry.gateway === 'sandbox',
    );
    expect(listed?.accounts).toBeGreaterThanOrEqual(1);
    expect(Date.parse(listed?.until as string)).toBeGreaterThan(Date.now());
    // The public endpoint names no merchant's account; the (protected) metric does.
    expect(JSON.stringify(health.body)).not.toContain(downId);
    expect(await metric(`gateway_account_cooling_down{gateway="sandbox",gateway_account="${downId}"}`)).toBe(1);
    expect(
      await metric(`gateway_authorization_attempts_total{gateway="sandbox",gateway_account="${downId}",outcome="unavailable"}`),
    ).toBeGreaterThanOrEqual(6);
    expect(await metric(`gateway_authorization_attempts_total{gateway="stripe",gateway_account="${upId}",outcome="approved"}`)).toBe(3);
    expect(await metric(`gateway_authorization_failovers_total{gateway="stripe",gateway_account="${upId}"}`)).toBe(2);
  });

  it('when every candidate is cooling down, then the payment is routed to them anyway', async () => {
    const merchant = await stack.createMerchant();
    const down = await stack.request('POST', '/v1/gateway_accounts', { apiKey: merchant.apiKey, body: { gateway: 'sandbox' } });
    const downId = down.body.id as string;
    // Five unavailable answers, as the worker records them.
    for (let i = 0; i < 5; i++)
      await stack.orm.em
        .getConnection()
        .execute(`insert into gateway_account_outages (gateway_account_id, gateway, occurred_at) values (?, 'sandbox', now())`, [downId]);
    const created = await createPayment(stack, merchant, { amount: 5, raw: true });
    expect([201, 202]).toContain(created.status);
    expect(created.body).toMatchObject({ gateway_account: downId, routing: { eligible: [downId], chosen: downId, skipped: [] } });
  });

  it('when unavailable answers are counted, then 5 within 60 s start a 2-minute cool-down from the last; 4, or 5 spread wider, do not', async () => {
    const merchant = await stack.createMerchant();
    const account = async () =>
      (await stack.request('POST', '/v1/gateway_accounts', { apiKey: merchant.apiKey, body: { gateway: 'sandbox' } })).body.id as string;
    const [four, spread, five] = [await account(), await account(), await account()];
    const outages = new GatewayOutageRepository(sqlFor(stack.orm.em.fork()));
    // A fixed past hour, so nothing the worker records now falls in these windows.
    const t0 = Date.parse('2026-01-01T10:00:00Z');
    const at = (seconds: number) => new Date(t0 + seconds * 1000);
    for (const seconds of [0, 10, 20, 30]) await outages.record({ gatewayAccountId: four, gateway: 'sandbox', occurredAt: at(seconds) });
    for (const seconds of [0, 20, 40, 60, 80])
      await outages.record({ gatewayAccountId: spread, gateway: 'sandbox', occurredAt: at(seconds) });
    for (const seconds of [0, 15, 30, 45, 59])
      await outages.record({ gatewayAccountId: five, gateway: 'sandbox', occurredAt: at(seconds) });
    const coolingAt = async (seconds: number) =>
      (await new GatewayCoolDowns({ orm: stack.orm, now: () => at(seconds) }).coolingDown([four, spread, five])).map((cooling) => ({
        account: cooling.gatewayAccount,
        until: cooling.until.toISOString(),
      }));
    expect(await coolingAt(60)).toEqual([{ account: five, until: at(59 + 120).toISOString() }]);
    expect(await coolingAt(178)).toHaveLength(1);
    expect(await coolingAt(179)).toEqual([]);
    expect(await coolingAt(30)).toEqual([]);
  });
});
