import { selectNewestFirst, type Page, type SqlCondition } from '../db/pagination';
import type { Sql } from '../db/sql';
import type { AuditEventRow, AuditRecord } from './audit-record';

const COLUMNS = [
  'id',
  'merchant_id',
  'actor_type',
  'api_key_id',
  'api_key_prefix',
  'api_key_last4',
  'action',
  'method',
  'route',
  'path',
  'object_id',
  'request_id',
  'idempotency_key',
  'status_code',
  'created_at',
];

/** The append-only `audit_events` table. */
export class AuditRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts the rows in one multi-row statement, skipping any whose id is already stored. */
  async insertBatch(rows: (AuditRecord & { id: string })[]): Promise<void> {
    const placeholders = rows.map(() => `(${COLUMNS.map(() => '?').join(', ')})`).join(', ');
    const values = rows.flatMap((row) => [
      row.id,
      row.merchantId,
      row.actorType,
      row.apiKeyId,
      row.apiKeyPrefix,
      row.apiKeyLast4,
      row.action,
      row.method,
      row.route,
      row.path,
      row.objectId,
      row.requestId,
      row.idempotencyKey,
      row.statusCode,
      row.createdAt,
    ]);
    // The id is random and fresh per row: a batch retried after an unknown outcome would fail on its primary key, so it skips what exists.
    await this.sql.query(`insert into audit_events (${COLUMNS.join(', ')}) values ${placeholders} on conflict (id) do nothing`, values);
  }

  async existsForMerchant(merchantId: string, id: string): Promise<boolean> {
    return (await this.sql.query(`select 1 from audit_events where id = ? and merchant_id = ?`, [id, merchantId])).length > 0;
  }

  /** One page of the merchant's events, newest first, optionally of one action and from an instant on, after `startingAfter` (checked to be the merchant's own). */
  async listForMerchant(
    merchantId: string,
    query: { action?: string; createdGte?: Date; limit: number; startingAfter?: string },
  ): Promise<Page<AuditEventRow>> {
    const conditions: SqlCondition[] = [['merchant_id = ?', merchantId]];
    if (query.action) conditions.push(['action = ?', query.action]);
    if (query.createdGte) conditions.push(['created_at >= ?', query.createdGte]);
    return selectNewestFirst<AuditEventRow>(this.sql, 'audit_events', conditions, query.limit, query.startingAfter);
  }
}
