import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { financeSchedules } from '../../src/finance-schedules';
import { newId, randomBase62 } from '../../src/shared/ids';
import { dataRetentionWorkflow, type DataRetentionInput } from '../../workflows/data-retention-workflow';
import { createPayment, createWebhookEndpoint } from '../support/api-calls';
import { eventually, useTestStack, type TestStack } from '../support/test-stack';
import { startWebhookReceiver } from '../support/webhook-receiver';

let stack: TestStack;
useTestStack((started) => ({ stack } = started));
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
beforeAll(async () => {
  receiver = await startWebhookReceiver({});
});
afterAll(async () => receiver?.close());

const DAY = 86_400_000;
const sql = <T = any>(text: string, params: unknown[] = []): Promise<T[]> => stack.orm.em.getConnection().execute(text, params);
const count = async (text: string, params: unknown[]) => (await sql<{ n: number }>(`select count(*)::int as n from ${text}`, params))[0].n;

/** Moves an event, and the attempts to deliver it, `days` into the past. */
const age = (eventId: string, days: number) =>
  Promise.all([
    sql(`update events set created_at = now() - make_interval(days => ?) where id = ?`, [days, eventId]),
    sql(`update webhook_attempts set created_at = now() - make_interval(days => ?) where event_id = ?`, [days, eventId]),
  ]);

/** An event as the subscription workflow records it, already dispatched, `days` old. */
async function insertOldEvent(merchantId: string, type: string, objectType: string, days: number): Promise<string> {
  const id = newId('evt');
  await sql(
    `insert into events (id, merchant_id, type, idempotency_key, object_type, object_id, data, created_at, dispatched_at)
     values (?, ?, ?, ?, ?, ?, '{"object":{"status":"active"}}', now() - make_interval(days => ?), now())`,
    [id, merchantId, type, `retention-test:${id}`, objectType, `${objectType}_${randomBase62(8)}`, days],
  );
  return id;
}

describe('event retention', () => {
  it('when events pass EVENT_RETENTION, then the daily run deletes them with their attempts and sent-receipt records, and keeps newer ones, ones still being delivered, and subscription history', async () => {
    const merchant = await stack.createMerchant('Event retention');
    await createWebhookEndpoint(stack, merchant, { url: receiver.url('/ok'), enabled_events: ['payment.succeeded'] });
    const payments: string[] = [];
    for (let i = 0; i < 4; i++) payments.push((await createPayment(stack, merchant, { amount: 5, expectStatus: 'succeeded' })).id);
    // Each payment's event, once delivered and off the receipt outbox, as any event a month old is.
    const [expired, recent, stillRetrying, retriesOver] = await eventually(async () => {
      const rows = await sql<{ id: string; object_id: string }>(
        `select e.id, e.object_id from events e
          where e.merchant_id = ? and e.type = 'payment.succeeded' and e.dispatched_at is not null
            and exists (select 1 from webhook_attempts a where a.event_id = e.id and a.succeeded)
            and not exists (select 1 from receipt_outbox o where o.event_id = e.id)`,
        [merchant.id],
      );
      return rows.length === 4 ? payments.map((payment) => rows.find((row) => row.object_id === payment)!.id) : undefined;
    });
    await age(expired, 31);
    await age(recent, 29);
    await age(stillRetrying, 31);
    await age(retriesOver, 31);
    // Its last attempt failed an hour ago, with retries left: the delivery workflow will try again.
    await sql(
      `update webhook_attempts set succeeded = false, status_code = 500, created_at = now() - interval '1 hour' where event_id = ?`,
      [stillRetrying],
    );
    // Its last attempt failed two days ago: longer than any wait between attempts, so nothing will retry it.
    await sql(
      `update webhook_attempts set succeeded = false, status_code = 500, created_at = now() - interval '2 days' where event_id = ?`,
      [retriesOver],
    );
    await sql(
      `insert into receipt_emails (event_id, merchant_id, payment_id, recipient, message_id) values (?, ?, ?, 'jo@example.com', 'm@test')`,
      [expired, merchant.id, payments[0]],
    );
    const subscriptionHistory = await insertOldEvent(merchant.id, 'customer.subscription.updated', 'subscription', 90);
    const failedInvoice = await insertOldEvent(merchant.id, 'invoice.payment_failed', 'invoice', 90);

    const result = await stack.client.workflow.execute(dataRetentionWorkflow, {
      taskQueue: stack.taskQueue,
      workflowId: `event-retention-test-${randomBase62(8)}`,
      args: [{ idempotencyKeyRetentionMs: 7 * DAY, eventRetentionMs: 30 * DAY }],
    });

    expect(result.eventsDeleted).toBe(2);
    expect(Date.now() - Date.parse(result.eventsBefore!)).toBeGreaterThanOrEqual(30 * DAY);
    const kept = await sql<{ id: string }>(`select id from events where id in (?)`, [
      [expired, recent, stillRetrying, retriesOver, subscriptionHistory, failedInvoice],
    ]);
    expect(kept.map((row) => row.id).sort()).toEqual([recent, stillRetrying, subscriptionHistory, failedInvoice].sort());
    expect(await count(`webhook_attempts where event_id in (?, ?)`, [expired, retriesOver])).toBe(0);
    expect(await count(`webhook_attempts where event_id = ?`, [recent])).toBe(1);
    expect(await count(`webhook_attempts where event_id = ?`, [stillRetrying])).toBe(1);
    expect(await count(`receipt_emails where event_id = ?`, [expired])).toBe(0);
    // The receipt itself belongs to the payment: its link keeps working.
    expect(await count(`receipts where payment_id = ? and token is not null`, [payments[0]])).toBe(1);
    // Nothing prunable older than the cut-off is left anywhere, but the delivery still retrying.
    expect(
      await count(
        `events where created_at < ?::timestamptz and object_type <> 'subscription' and type <> 'invoice.payment_failed' and id <> ?`,
        [result.eventsBefore, stillRetrying],
      ),
    ).toBe(0);

    const gone = await stack.request('GET', `/v1/events/${expired}`, { apiKey: merchant.apiKey });
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ code: 'resource_missing' });
    expect((await stack.request('GET', `/v1/events/${recent}`, { apiKey: merchant.apiKey })).status).toBe(200);
    const listed = await stack.request('GET', '/v1/events?limit=100', { apiKey: merchant.apiKey });
    const listedIds = listed.body.data.map((event: { id: string }) => event.id);
    expect(listedIds).toEqual(expect.arrayContaining([recent, stillRetrying]));
    expect(listedIds).not.toContain(expired);
    expect(listedIds).not.toContain(retriesOver);
  });

  it('when EVENT_RETENTION is unset, 45d or 1d, then the data-retention schedule prunes events after 30 days, after 45, or the process refuses to start', () => {
    const eventRetention = (env: Record<string, string>) =>
      (
        financeSchedules(loadConfig({ NODE_ENV: 'test', ...env })).find((schedule) => schedule.id === 'data-retention')!
          .args![0] as DataRetentionInput
      ).eventRetentionMs;
    expect(eventRetention({})).toBe(30 * DAY);
    expect(eventRetention({ EVENT_RETENTION: '45d' })).toBe(45 * DAY);
    expect(() => eventRetention({ EVENT_RETENTION: '1d' })).toThrow(/EVENT_RETENTION must be at least 4d/);
  });
});
