import type { Sql } from '../db/sql';
import { newId } from '../shared/ids';
import { EventRepository } from './event-repository';

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
  const events = new EventRepository(sql);
  await events.insertIfAbsent({
    id: newId('evt'),
    merchantId: event.merchantId,
    type: event.type,
    idempotencyKey: event.idempotencyKey,
    objectType: event.objectType,
    objectId: event.objectId,
    data: { object: event.object },
  });
  // Delivered at commit: the webhook dispatcher wakes at once instead of at its next sweep.
  await events.notifyRecorded();
}
