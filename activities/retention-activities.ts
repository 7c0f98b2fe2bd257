import type { Orm } from '../src/db/orm';
import { inTransaction } from '../src/db/sql';

export interface RetentionActivityDeps {
  orm: Orm;
}

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
  };
}
