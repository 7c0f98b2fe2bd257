import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { eventually, startTestStack, TEST_ADMIN_KEY, type TestStack } from '../support/test-stack';
import { startWebhookReceiver } from '../support/webhook-receiver';
import { createPayment, createWebhookEndpoint } from '../support/api-calls';
import { TEST_PAYLOAD_KEYS } from '../../src/config';
import { createLogger } from '../../src/logger';
import { newId } from '../../src/shared/ids';
import { openSecret } from '../../src/vault/sealed-secrets';
import { newWebhookSecret } from '../../src/webhooks/webhook-signature';
import { webhookSecretBinding } from '../../src/webhooks/webhook-secrets';
import { WebhookService } from '../../src/webhooks/webhook-service';

let stack: TestStack;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  stack = await startTestStack({ env: { WEBHOOK_TIMEOUT: '2s' } });
  receiver = await startWebhookReceiver({ '/hang': () => 'hang' });
});
afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

const deliveriesTo = (path: string, webhookId?: string) =>
  receiver.received(path).filter((r) => !webhookId || r.headers['webhook-id'] === webhookId);

interface StoredEndpoint {
  secret: string | null;
  previous_secret: string | null;
  secret_key_id: string | null;
  secret_ciphertext: Buffer | null;
  previous_secret_key_id: string | null;
  previous_secret_ciphertext: Buffer | null;
}
const storedEndpoint = async (id: string) =>
  (await stack.orm.em.getConnection().execute<StoredEndpoint[]>(`select * from webhook_endpoints where id = ?`, [id]))[0];
/** The endpoint's secrets as the suite's vault key opens them: [current, previous]. */
function opened(id: string, row: StoredEndpoint): (string | null)[] {
  const open = (keyId: string | null, ciphertext: Buffer | null) =>
    keyId && ciphertext ? openSecret(stack.config.cardVault!, { keyId, ciphertext }, webhookSecretBinding(id)) : null;
  return [open(row.secret_key_id, row.secret_ciphertext), open(row.previous_secret_key_id, row.previous_secret_ciphertext)];
}
/** An endpoint as it was stored before signing secrets were sealed: in clear. */
async function insertEndpointInClear(merchantId: string, url: string, previousSecret?: string) {
  const id = newId('we');
  const secret = newWebhookSecret();
  await stack.orm.em.getConnection().execute(
    `insert into webhook_endpoints (id, merchant_id, url, enabled_events, status, secret, previous_secret, previous_secret_expires_at)
     values (?, ?, ?, '["*"]', 'enabled', ?, ?, ?)`,
    [id, merchantId, url, secret, previousSecret ?? null, previousSecret ? new Date(Date.now() + 3600_000) : null],
  );
  return { id, secret };
}

describe('webhook endpoints', () => {
  it('when an endpoint is created, then its secret is shown once, and a payment event arrives signed so standardwebhooks verifies it', async () => {
    const merchant = await stack.createMerchant();
    const created = await createWebhookEndpoint(stack, merchant, {
      url: receiver.url('/shop'),
      enabled_events: ['payment.succeeded'],
      description: 'orders',
      raw: true,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      object: 'webhook_endpoint',
      status: 'enabled',
      enabled_events: ['payment.succeeded'],
      secret: expect.stringMatching(/^whsec_/),
    });
    const fetched = await stack.request('GET', `/v1/webhook_endpoints/${created.body.id}`, { apiKey: merchant.apiKey });
    expect(fetched.body.secret).toBeUndefined();

    const payment = await createPayment(stack, merchant, { amount: 12 });
    const [delivery] = await eventually(
      async () => {
        const found = deliveriesTo('/shop').filter((r) => r.body.includes(payment.id));
        return found.length ? found : undefined;
      },
      20_000,
      100,
    );
    const event = new Webhook(created.body.secret).verify(delivery.body, delivery.headers) as {
      id: string;
      type: string;
      data: { object: { id: string; status: string } };
    };
    expect(event).toMatchObject({ type: 'payment.succeeded', data: { object: { id: payment.id, status: 'succeeded' } } });
    expect(delivery.headers['webhook-id']).toBe(event.id);
    expect(() =>
      new Webhook('whsec_' + Buffer.from('not the secret, 24 bytes!').toString('base64')).verify(delivery.body, delivery.headers),
    ).toThrow();

    const stored = await stack.request('GET', `/v1/events/${event.id}`, { apiKey: merchant.apiKey });
    expect(stored.body).toMatchObject({ id: event.id, type: 'payment.succeeded' });
    const listed = await stack.request('GET', '/v1/events?type=payment.succeeded', { apiKey: merchant.apiKey });
    expect(listed.body.data.map((e: { id: string }) => e.id)).toContain(event.id);
    const attempts = await eventually(
      async () => {
        const page = await stack.request('GET', `/v1/webhook_endpoints/${created.body.id}/deliveries`, { apiKey: merchant.apiKey });
        return page.body.data.length ? page.body.data : undefined;
      },
      10_000,
      100,
    );
    expect(attempts[0]).toMatchObject({ event_id: event.id, webhook_id: event.id, status_code: 200, succeeded: true, attempt: 1 });
  });

  it('when an event is redelivered, then the receiver gets it again with the same webhook-id', async () => {
    const merchant = await stack.createMerchant();
    const endpoint = await createWebhookEndpoint(stack, merchant, { url: receiver.url('/redeliver'), enabled_events: ['*'] });
    const payment = await createPayment(stack, merchant, { amount: 12 });
    const first = await eventually(async () => deliveriesTo('/redeliver').find((r) => r.body.includes(payment.id)), 20_000, 100);
    const eventId = first.headers['webhook-id'];
    const response = await stack.request('POST', `/v1/events/${eventId}/redeliver`, {
      apiKey: merchant.apiKey,
      body: { endpoint: endpoint.id },
    });
    expect(response.status).toBe(202);
    await eventually(async () => (deliveriesTo('/redeliver', eventId).length === 2 ? true : undefined), 20_000, 100);
    const both = deliveriesTo('/redeliver', eventId);
    expect(both.map((r) => JSON.parse(r.body).id)).toEqual([eventId, eventId]);
  });

  it('when the secret is rotated, then deliveries carry two signatures and both the old and the new secret verify them', async () => {
    const merchant = await stack.createMerchant();
    const created = await createWebhookEndpoint(stack, merchant, { url: receiver.url('/rotate'), enabled_events: ['payment.succeeded'] });
    const rotated = (await stack.request('POST', `/v1/webhook_endpoints/${created.id}/rotate_secret`, { apiKey: merchant.apiKey })).body;
    expect(rotated.secret).not.toBe(created.secret);
    const payment = await createPayment(stack, merchant, { amount: 12 });
    const delivery = await eventually(async () => deliveriesTo('/rotate').find((r) => r.body.includes(payment.id)), 20_000, 100);
    expect(delivery.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(rotated.secret).verify(delivery.body, delivery.headers)).toBeTruthy();
    expect(new Webhook(created.secret).verify(delivery.body, delivery.headers)).toBeTruthy();
  });

  it("when a merchant's endpoint hangs, then its payments are answered without waiting for the webhook", async () => {
    const merchant = await stack.createMerchant();
    await createWebhookEndpoint(stack, merchant, { url: receiver.url('/hang'), enabled_events: ['*'] });
    const payment = await createPayment(stack, merchant, { amount: 12, raw: true });
    expect(payment.status).toBe(201);
    expect(payment.body.status).toBe('succeeded');
    // The endpoint has been called and has not answered, yet the payment was decided and answered.
    await eventually(async () => (deliveriesTo('/hang').some((r) => r.body.includes(payment.body.id)) ? true : undefined), 20_000, 100);
    const stillOpen = await stack.client.workflow.getHandle(`payment-${payment.body.id}`).describe();
    expect(stillOpen.status.name).toBe('COMPLETED');
  });

  it.each([
    [{ url: 'not a url', enabled_events: ['*'] }, 'url'],
    [{ url: 'ftp://example.com/hook', enabled_events: ['*'] }, 'url'],
    [{ url: 'https://example.com/hook', enabled_events: ['payment.exploded'] }, 'enabled_events[0]'],
    [{ url: 'https://example.com/hook', enabled_events: [] }, 'enabled_events'],
    [{ enabled_events: ['*'] }, 'url'],
  ])('when the endpoint is %j, then 400 names %s', async (body, param) => {
    const merchant = await stack.createMerchant();
    const response = await stack.request('POST', '/v1/webhook_endpoints', { apiKey: merchant.apiKey, body });
    expect(response.status).toBe(400);
    expect(response.body.param).toBe(param);
  });

  it('when a live-mode merchant points an endpoint at a loopback, private or link-local address, then it is refused; test mode allows localhost', async () => {
    const live = await stack.request('POST', '/v1/merchants', { apiKey: TEST_ADMIN_KEY, body: { name: 'Live shop', livemode: true } });
    expect(live.body.api_key).toMatch(/^sk_live_/);
    for (const url of [
      'https://127.0.0.1/hook',
      'https://localhost/hook',
      'https://10.1.2.3/hook',
      'https://192.168.0.10/hook',
      'https://169.254.169.254/latest',
      'https://[::1]/hook',
      'http://example.com/hook',
    ]) {
      const response = await createWebhookEndpoint(stack, { apiKey: live.body.api_key }, { url, enabled_events: ['*'], raw: true });
      expect(response.status, url).toBe(400);
      expect(response.body).toMatchObject({ code: 'url_invalid', param: 'url' });
    }
    const test = await stack.createMerchant();
    expect((await createWebhookEndpoint(stack, test, { url: 'http://localhost:9/hook', enabled_events: ['*'], raw: true })).status).toBe(
      201,
    );
  });

  it('when endpoints are updated, disabled, deleted or touched by another merchant, then each answers accordingly', async () => {
    const merchant = await stack.createMerchant();
    const other = await stack.createMerchant();
    const endpoint = await createWebhookEndpoint(stack, merchant, { url: receiver.url('/manage'), enabled_events: ['*'] });
    const updated = await stack.request('PATCH', `/v1/webhook_endpoints/${endpoint.id}`, {
      apiKey: merchant.apiKey,
      body: { enabled_events: ['refund.succeeded'], disabled: true },
    });
    expect(updated.body).toMatchObject({ enabled_events: ['refund.succeeded'], status: 'disabled' });
    expect((await stack.request('GET', `/v1/webhook_endpoints/${endpoint.id}`, { apiKey: other.apiKey })).status).toBe(404);
    expect((await stack.request('DELETE', `/v1/webhook_endpoints/${endpoint.id}`, { apiKey: other.apiKey })).status).toBe(404);
    const deleted = await stack.request('DELETE', `/v1/webhook_endpoints/${endpoint.id}`, { apiKey: merchant.apiKey });
    expect(deleted.body).toEqual({ id: endpoint.id, object: 'webhook_endpoint', deleted: true });
    expect((await stack.request('GET', '/v1/webhook_endpoints', { apiKey: merchant.apiKey })).body.data).toEqual([]);
  });
});

describe('webhook signing secrets at rest', () => {
  it('when an endpoint is created and its secret rotated, then both secrets are stored only sealed, bound to the endpoint, and the clear columns stay empty', async () => {
    const merchant = await stack.createMerchant();
    const created = await createWebhookEndpoint(stack, merchant, { url: receiver.url('/sealed'), enabled_events: ['*'] });
    const first = await storedEndpoint(created.id);
    expect(first).toMatchObject({ secret: null, previous_secret: null, secret_key_id: stack.config.cardVault!.keys[0].id });
    expect(opened(created.id, first)).toEqual([created.secret, null]);
    expect(first.secret_ciphertext!.toString('latin1')).not.toContain(created.secret.slice('whsec_'.length));
    // Bound to its endpoint: the same bytes on another endpoint do not open.
    expect(() => opened(newId('we'), first)).toThrow();

    const rotated = (await stack.request('POST', `/v1/webhook_endpoints/${created.id}/rotate_secret`, { apiKey: merchant.apiKey })).body;
    const second = await storedEndpoint(created.id);
    expect(second).toMatchObject({ secret: null, previous_secret: null });
    expect(opened(created.id, second)).toEqual([rotated.secret, created.secret]);
  });

  it("when an endpoint's secret is still in clear from before sealing, then its first delivery seals it and signs with it, and the API's start-up pass seals the others", async () => {
    const merchant = await stack.createMerchant();
    const oldPrevious = newWebhookSecret();
    const legacy = await insertEndpointInClear(merchant.id, receiver.url('/legacy'), oldPrevious);
    const payment = await createPayment(stack, merchant, { amount: 12 });
    const delivery = await eventually(async () => deliveriesTo('/legacy').find((r) => r.body.includes(payment.id)), 20_000, 100);
    expect(new Webhook(legacy.secret).verify(delivery.body, delivery.headers)).toBeTruthy();
    expect(new Webhook(oldPrevious).verify(delivery.body, delivery.headers)).toBeTruthy();
    const sealedOnUse = await storedEndpoint(legacy.id);
    expect(sealedOnUse).toMatchObject({ secret: null, previous_secret: null });
    expect(opened(legacy.id, sealedOnUse)).toEqual([legacy.secret, oldPrevious]);

    const idle = await insertEndpointInClear((await stack.createMerchant()).id, 'http://127.0.0.1:9/idle');
    const webhooks = new WebhookService({
      orm: stack.orm,
      temporal: stack.client,
      taskQueue: stack.taskQueue,
      vaultKeys: stack.config.cardVault,
    });
    expect(await webhooks.sealSecretsInClear(createLogger('silent'))).toBeGreaterThanOrEqual(1);
    const sealedAtStart = await storedEndpoint(idle.id);
    expect(sealedAtStart).toMatchObject({ secret: null, previous_secret: null });
    expect(opened(idle.id, sealedAtStart)).toEqual([idle.secret, null]);
    expect(await webhooks.sealSecretsInClear(createLogger('silent'))).toBe(0);
  });
});

describe('webhook endpoints without the card vault keys', () => {
  let keyless: TestStack;
  beforeAll(async () => {
    // Outside tests an unset CARD_VAULT_KEYS means no key ring (npm start keeps its own in DATA_DIR instead).
    keyless = await startTestStack({
      worker: false,
      env: { NODE_ENV: 'development', TEMPORAL_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, LOG_LEVEL: 'silent' },
    });
  });
  afterAll(async () => {
    await keyless?.close();
  });

  it('when no vault keys are configured, then creating an endpoint or rotating its secret answers 503 webhook_secrets_unavailable naming the settings, and reads still work', async () => {
    expect(keyless.config.cardVault).toBeUndefined();
    const merchant = await keyless.createMerchant();
    const refused = await createWebhookEndpoint(keyless, merchant, { url: receiver.url('/keyless'), enabled_events: ['*'], raw: true });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'webhook_secrets_unavailable' });
    expect(refused.body.error).toContain('CARD_VAULT_KEYS');
    expect(refused.body.error).toContain('CARD_FINGERPRINT_KEY');

    // An endpoint made where the keys are configured: the keyless API still lists it, but cannot rotate its secret.
    const endpoint = await createWebhookEndpoint(stack, merchant, { url: receiver.url('/keyless'), enabled_events: ['*'] });
    expect((await keyless.request('GET', `/v1/webhook_endpoints/${endpoint.id}`, { apiKey: merchant.apiKey })).body).toMatchObject({
      id: endpoint.id,
    });
    const rotate = await keyless.request('POST', `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, { apiKey: merchant.apiKey });
    expect({ status: rotate.status, code: rotate.body.code }).toEqual({ status: 503, code: 'webhook_secrets_unavailable' });
  });
});
