import { selectNewestFirst, type Page, type SqlCondition } from '../db/pagination';
import type { Sql } from '../db/sql';
import type { EventRecord } from './event-record';

/** The channel the transaction that records an event notifies on, so the webhook dispatcher wakes at once. */
export const EVENT_RECORDED_CHANNEL = 'event_recorded';

/** A new row of the `events` table: the database stamps its creation time. */
export type NewEvent = Omit<EventRecord, 'createdAt'>;

interface EventRow {
  id: string;
  merchant_id: string;
  type: string;
  idempotency_key: string;
  object_type: string;
  object_id: string;
  data: Record<string, unknown>;
  created_at: Date | string;
}

function eventFromRow(row: EventRow): EventRecord {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    type: row.type,
    idempotencyKey: row.idempotency_key,
    objectType: row.object_type,
    objectId: row.object_id,
    data: row.data,
    createdAt: new Date(row.created_at),
  };
}

/**
 * Every read and write of the `events` log, on the caller's `Sql` (`inTransaction`, or `sqlFor(em)`
 * inside an ORM transaction or fork): writes join the transaction that changed the object.
 */
export class EventRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts the event unless one with its idempotency key exists. */
  async insertIfAbsent(event: NewEvent): Promise<void> {
    await this.sql.query(
      `insert into events (id, merchant_id, type, idempotency_key, object_type, object_id, data)
     values (?, ?, ?, ?, ?, ?, ?) on conflict (idempotency_key) do nothing`,
      [event.id, event.merchantId, event.type, event.idempotencyKey, event.objectType, event.objectId, JSON.stringify(event.data)],
    );
  }

  /** Queued in the caller's transaction: PostgreSQL delivers it at commit, so a listener never hears of an unstored event. */
  async notifyRecorded(): Promise<void> {
    await this.sql.query(`select pg_notify('${EVENT_RECORDED_CHANNEL}', '')`);
  }

  /** The merchant's event. */
  async findForMerchant(merchantId: string, id: string): Promise<EventRecord | null> {
    const [row] = await this.sql.query<EventRow>('select * from events where id = ? and merchant_id = ?', [id, merchantId]);
    return row ? eventFromRow(row) : null;
  }

  /** One page of the merchant's events, optionally of one type, newest first, after `startingAfter` (checked to be the merchant's own). */
  async listForMerchant(merchantId: string, query: { type?: string; limit: number; startingAfter?: string }): Promise<Page<EventRecord>> {
    const where: SqlCondition[] = [['merchant_id = ?', merchantId], ...(query.type ? [['type = ?', query.type] as SqlCondition] : [])];
    const page = await selectNewestFirst<EventRow>(this.sql, 'events', where, query.limit, query.startingAfter);
    return { data: page.data.map(eventFromRow), hasMore: page.hasMore };
  }

  /**
   * Marks up to 50 undispatched events, oldest first, as dispatched and answers them. Rows another
   * process holds are skipped; the claim holds only if the caller's transaction commits.
   */
  async claimUndispatched(): Promise<{ id: string; merchant_id: string; type: string }[]> {
    return this.sql.query<{ id: string; merchant_id: string; type: string }>(
      `update events set dispatched_at = now()
        where id in (select id from events where dispatched_at is null order by created_at limit 50 for update skip locked)
        returning id, merchant_id, type`,
    );
  }
}
