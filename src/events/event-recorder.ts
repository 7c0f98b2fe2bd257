import type { Sql } from '../db/sql';
import { newId } from '../shared/ids';

export interface EventInput {
  merchantId: string;
  type: string;
  /** One key per state change (`payment:pay_x:succeeded`), so a retried activity records the event once. */
  idempotencyKey: string;
  objectType: string;
  objectId: string;
  object: Record<string, unknown>;
}

/** Records an event inside the caller's transaction, exactly once per idempotency key. */
export async function recordEvent(sql: Sql, event: EventInput): Promise<void> {
  await sql.query(
    `insert into events (id, merchant_id, type, idempotency_key, object_type, object_id, data)
     values (?, ?, ?, ?, ?, ?, ?) on conflict (idempotency_key) do nothing`,
    [newId('evt'), event.merchantId, event.type, event.idempotencyKey, event.objectType, event.objectId, JSON.stringify({ object: event.object })],
  );
  // Delivered at commit: the webhook dispatcher wakes at once instead of at its next sweep.
  await sql.query(`select pg_notify('${EVENT_RECORDED_CHANNEL}', '')`);
}

export const EVENT_RECORDED_CHANNEL = 'event_recorded';
