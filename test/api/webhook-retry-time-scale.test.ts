import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETRY_DELAYS_MS } from '../../src/webhooks/event-types';
import { eventually, startTestStack, type TestStack } from '../support/test-stack';
import { startWebhookReceiver } from '../support/webhook-receiver';

const SCALE = 10;
let stack: TestStack;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const arrivals: number[] = [];

beforeAll(async () => {
  stack = await startTestStack({ env: { WEBHOOK_RETRY_TIME_SCALE: String(SCALE) } });
  receiver = await startWebhookReceiver({
    '/flaky-once': (count) => {
      arrivals.push(Date.now());
      return { status: count === 1 ? 500 : 200 };
    },
  });
});
afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

describe('WEBHOOK_RETRY_TIME_SCALE', () => {
  it(`when an endpoint fails once under scale ${SCALE}, then the second attempt comes after about ${RETRY_DELAYS_MS[0]}/${SCALE} ms, not ${RETRY_DELAYS_MS[0]} ms`, async () => {
    const merchant = await stack.createMerchant();
    const endpoint = await stack.request('POST', '/v1/webhook_endpoints', {
      apiKey: merchant.apiKey,
      body: { url: receiver.url('/flaky-once'), enabled_events: ['payment.succeeded'] },
    });
    expect(endpoint.status).toBe(201);
    await stack.request('POST', '/v1/payments', { apiKey: merchant.apiKey, body: { amount: 12, currency: 'USD', source: 'tok_visa' } });
    await eventually(async () => (arrivals.length >= 2 ? true : undefined), 10_000, 50);
    const gap = arrivals[1] - arrivals[0];
    // ±10 % jitter on the scaled delay, plus a little for the activity and the HTTP round trip.
    expect(gap).toBeGreaterThanOrEqual((0.9 * RETRY_DELAYS_MS[0]) / SCALE - 50);
    expect(gap).toBeLessThan((1.1 * RETRY_DELAYS_MS[0]) / SCALE + 1_000);
    expect(receiver.received('/flaky-once').map((r) => r.headers['webhook-id'])).toEqual([
      expect.stringMatching(/^evt_/),
      receiver.received('/flaky-once')[0].headers['webhook-id'],
    ]);
  });
});
