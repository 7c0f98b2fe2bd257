import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Webhook } from 'standardwebhooks';
import { useTimeSkippingEnvironment, type TimeSkippingEnvironment } from '../support/time-skipping';
import type { Orm } from '../../src/db/orm';
import { sqlFor } from '../../src/db/sql';
import { recordEvent } from '../../src/events/event-recorder';
import { MerchantService } from '../../src/merchants/merchant-service';
import { newId } from '../../src/shared/ids';
import { RETRY_DELAYS_MS } from '../../src/webhooks/event-types';
import { WebhookService } from '../../src/webhooks/webhook-service';
import { TEST_CARD_VAULT_KEYS } from '../../src/vault/vault-config';
import { parseVaultKeys } from '../../src/vault/vault-keys';
import { getDeliveryStateQuery, webhookDeliveryWorkflow } from '../../workflows/webhook-delivery-workflow';
import { startWebhookReceiver, type Behaviour } from '../support/webhook-receiver';

let env: TestWorkflowEnvironment;
let orm: Orm;
let withWorker: TimeSkippingEnvironment['withWorker'];
// Signing secrets are stored sealed: the service seals with the suite's vault keys, the activities open with them.
const vaultKeys = { keys: parseVaultKeys(TEST_CARD_VAULT_KEYS) };
// A short timeout, so a receiver that hangs costs a second of real time.
useTimeSkippingEnvironment((started) => ({ env, orm, withWorker } = started), {
  taskQueuePrefix: 'webhooks',
  activities: { webhookTimeoutMs: 1_000, vaultKeys },
});
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const behaviours: Record<string, Behaviour> = {
  '/flaky': (count) => ({ status: count <= 3 ? 500 : 200 }),
  '/dead': () => ({ status: 500 }),
  '/gone': () => ({ status: 410 }),
  '/hang': (count) => (count === 1 ? 'hang' : { status: 200 }),
  '/busy': (count) => (count === 1 ? { status: 503, headers: { 'retry-after': '7200' } } : { status: 200 }),
};

beforeAll(async () => {
  receiver = await startWebhookReceiver(behaviours);
});
afterAll(async () => {
  await receiver?.close();
});

/** A merchant, an endpoint on the receiver's path, and one recorded event. */
async function setUp(path: string) {
  const { merchant } = await new MerchantService(orm).create({ name: 'Webhook receiver' });
  const endpoint = await new WebhookService({ orm, temporal: env.client, taskQueue: 'unused', vaultKeys }).createEndpoint(merchant, {
    url: receiver.url(path),
    enabled_events: ['*'],
  });
  const objectId = newId('pay');
  await orm.em.fork().transactional((em) =>
    recordEvent(sqlFor(em), {
      merchantId: merchant.id,
      type: 'payment.succeeded',
      idempotencyKey: `test:${objectId}`,
      objectType: 'payment',
      objectId,
      object: { id: objectId, amount: 10 },
    }),
  );
  const [event] = await orm.em.getConnection().execute<{ id: string }[]>(`select id from events where object_id = ?`, [objectId]);
  return { merchantId: merchant.id, endpoint, eventId: event.id };
}

async function deliver(
  path: string,
  run?: (handle: Awaited<ReturnType<typeof env.client.workflow.start<typeof webhookDeliveryWorkflow>>>) => Promise<void>,
) {
  const { merchantId, endpoint, eventId } = await setUp(path);
  const state = await withWorker(async (taskQueue) => {
    const handle = await env.client.workflow.start(webhookDeliveryWorkflow, {
      workflowId: `webhook-${eventId}-${endpoint.id}`,
      taskQueue,
      args: [{ eventId, endpointId: endpoint.id, merchantId, eventType: 'payment.succeeded' }],
    });
    await run?.(handle);
    return handle.result();
  });
  const attempts = await orm.em
    .getConnection()
    .execute<{ attempt: number; status_code: number | null; succeeded: boolean; error: string | null }[]>(
      `select attempt, status_code, succeeded, error from webhook_attempts where endpoint_id = ? order by attempt`,
      [endpoint.id],
    );
  const [stored] = await orm.em
    .getConnection()
    .execute<{ status: string; disabled_reason: string | null }[]>(`select status, disabled_reason from webhook_endpoints where id = ?`, [
      endpoint.id,
    ]);
  return { state, attempts, endpoint, eventId, stored, merchantId };
}

describe('webhook delivery on its retry schedule (time-skipping)', () => {
  it('when a receiver fails 3 times then succeeds, then it gets the event once as a success after 4 recorded attempts, all with one webhook-id', async () => {
    const { state, attempts, endpoint, eventId } = await deliver('/flaky');
    expect(state).toMatchObject({ status: 'delivered', attempts: 4 });
    expect(attempts.map((a) => [a.attempt, a.status_code, a.succeeded])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 500, false],
      [4, 200, true],
    ]);
    const received = receiver.received('/flaky').filter((r) => r.headers['webhook-id'] === eventId);
    expect(received).toHaveLength(4);
    // What the merchant's own code would do with the standardwebhooks library.
    const payload = new Webhook(endpoint.secret as string).verify(received[3].body, received[3].headers) as { id: string; type: string };
    expect(payload).toMatchObject({ id: eventId, type: 'payment.succeeded' });
  });

  it('when a receiver is dead, then the whole ~3-day schedule runs in seconds and the endpoint is disabled with a notice', async () => {
    const started = Date.now();
    const { state, attempts, stored, merchantId } = await deliver('/dead');
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(state).toMatchObject({ status: 'exhausted', attempts: RETRY_DELAYS_MS.length + 1 });
    expect(attempts).toHaveLength(RETRY_DELAYS_MS.length + 1);
    expect(stored.status).toBe('disabled');
    const [merchant] = await orm.em
      .getConnection()
      .execute<{ webhook_notice: string }[]>(`select webhook_notice from merchants where id = ?`, [merchantId]);
    expect(merchant.webhook_notice).toContain('was disabled');
  });

  it('when a receiver answers 410 Gone, then the endpoint is disabled after one attempt', async () => {
    const { state, attempts, stored } = await deliver('/gone');
    expect(state).toMatchObject({ status: 'gone', attempts: 1 });
    expect(attempts).toHaveLength(1);
    expect(stored).toMatchObject({ status: 'disabled', disabled_reason: expect.stringContaining('410') });
  });

  it('when a receiver hangs, then the attempt times out, is recorded, and the next attempt succeeds', async () => {
    const { state, attempts } = await deliver('/hang');
    expect(state).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(attempts[0]).toMatchObject({ succeeded: false, status_code: null, error: expect.stringContaining('no answer within') });
  });

  it('when a receiver answers 503 with Retry-After: 7200, then the next attempt waits two hours, not five seconds', async () => {
    const { state } = await deliver('/busy', async (handle) => {
      let current = await handle.query(getDeliveryStateQuery);
      while (!current.nextAttemptAt) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        current = await handle.query(getDeliveryStateQuery);
      }
      const waitMs = Date.parse(current.nextAttemptAt) - (await env.currentTimeMs());
      expect(waitMs).toBeGreaterThan(7_000_000);
    });
    expect(state).toMatchObject({ status: 'delivered', attempts: 2 });
  });
});
