import type { Orm } from '../src/db/orm';
import { inTransaction } from '../src/db/sql';
import { RETRY_DELAYS_MS } from '../src/webhooks/event-types';

export interface RetentionActivityDeps {
  orm: Orm;
}

/**
 * The events EVENT_RETENTION applies to: all but the history the monthly subscription figures read, which
 * stays. They take a subscription's status at any instant, and its status before it was canceled, from its
 * last `customer.subscription.*` event (however old), and count failed invoices by `invoice.payment_failed`.
 * The partial index `events_prunable_created_idx` has the same condition.
 */
const OUTSIDE_SUBSCRIPTION_HISTORY = `e.object_type <> 'subscription' and e.type <> 'invoice.payment_failed'`;

/**
 * A delivery whose last attempt failed with attempts left tries again after at most the schedule's longest
 * wait plus its 10 % jitter (a Retry-After is capped at a day, shorter still).
 */
const LONGEST_DELIVERY_WAIT_MS = Math.max(...RETRY_DELAYS_MS) * 1.1;

export function createRetentionActivities({ orm }: RetentionActivityDeps) {
  return {
    /**
     * Deletes up to `limit` Idempotency-Keys recorded before `createdBefore`, oldest first, and
     * answers how many went. Small batches keep each transaction short beside live traffic; a retry
     * after a commit simply finds fewer to delete.
     */
    async pruneIdempotencyKeys({ createdBefore, limit }: { createdBefore: string; limit: number }): Promise<number> {
      const rows = await inTransaction(orm, (sql) =>
        sql.query<{ key: string }>(
          `delete from idempotency_keys where (merchant_id, key) in (
             select merchant_id, key from idempotency_keys where created_at < ? order by created_at limit ?)
           returning key`,
          [createdBefore, limit],
        ),
      );
      return rows.length;
    },

    /**
     * Deletes up to `limit` events created before `createdBefore`, oldest first, with their webhook
     * attempts and receipt-email records, in one transaction, and answers how many events went. Kept:
     * events still on the way out (not yet dispatched to webhooks, on the receipt outbox, or with a
     * delivery whose last attempt failed and may be retried), and subscription history (OUTSIDE_SUBSCRIPTION_HISTORY).
     */
    async pruneEvents({ createdBefore, limit }: { createdBefore: string; limit: number }): Promise<number> {
      const retriesUntil = new Date(Date.now() - LONGEST_DELIVERY_WAIT_MS).toISOString();
      return inTransaction(orm, async (sql) => {
        // Locked first: a delivery attempt or a receipt requeued meanwhile waits on the event's row, then finds it gone.
        const doomed = await sql.query<{ id: string }>(
          `select e.id from events e
            where e.created_at < ? and ${OUTSIDE_SUBSCRIPTION_HISTORY} and e.dispatched_at is not null
              and not exists (select 1 from receipt_outbox o where o.event_id = e.id)
              and not exists (
                select 1 from webhook_attempts a
                 where a.event_id = e.id and not a.succeeded and a.attempt <= ? and a.created_at > ?
                   and not exists (select 1 from webhook_attempts later
                                    where later.event_id = a.event_id and later.endpoint_id = a.endpoint_id and later.created_at > a.created_at))
            order by e.created_at limit ?
            for update of e skip locked`,
          [createdBefore, RETRY_DELAYS_MS.length, retriesUntil, limit],
        );
        if (doomed.length === 0) return 0;
        const ids = doomed.map((row) => row.id);
        // Stripe's delivery log lives as long as its event: the attempts go with it.
        await sql.query(`delete from webhook_attempts where event_id = any(?::text[])`, [ids]);
        // The record that an event's receipt was mailed only stops a second email of that event; the receipt
        // itself (its link's token, in receipts) belongs to the payment and stays.
        await sql.query(`delete from receipt_emails where event_id = any(?::text[])`, [ids]);
        const deleted = await sql.query<{ id: string }>(`delete from events where id = any(?::text[]) returning id`, [ids]);
        return deleted.length;
      });
    },

    /**
     * Empties up to `limit` report files that expired before `expiredBefore`, oldest first: their chunks
     * are deleted and the file is marked expired (its row stays, so its run still shows the result it
     * had, and the download answers 410). Answers how many files were emptied; a retry after a commit
     * finds them expired already.
     */
    async pruneExpiredFiles({ expiredBefore, limit }: { expiredBefore: string; limit: number }): Promise<number> {
      return inTransaction(orm, async (sql) => {
        // Locked first: a download that started before the file expired has its first chunk or finds none.
        const doomed = await sql.query<{ id: string }>(
          `select id from files where status = 'ready' and expires_at < ? order by expires_at limit ? for update skip locked`,
          [expiredBefore, limit],
        );
        if (doomed.length === 0) return 0;
        const ids = doomed.map((row) => row.id);
        await sql.query(`delete from file_chunks where file_id = any(?::text[])`, [ids]);
        await sql.query(`update files set status = 'expired' where id = any(?::text[])`, [ids]);
        return ids.length;
      });
    },
  };
}
