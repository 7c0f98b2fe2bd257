import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import { selectNewestFirst, type SqlCondition } from '../db/sql-pagination';
import type { Merchant } from '../merchants/merchant-entities';
import { ApiError } from '../shared/api-error';
import { apiTimestamp } from '../shared/timestamps';
import type { ListAuditEventsQuery } from './audit-schemas';

type Row = Record<string, any>;

function renderAuditEvent(row: Row) {
  return {
    id: row.id,
    object: 'audit_event' as const,
    action: row.action,
    actor: { type: row.actor_type, api_key: row.api_key_id ? { id: row.api_key_id, redacted: `${row.api_key_prefix}...${row.api_key_last4}` } : null },
    request: { id: row.request_id, method: row.method, route: row.route, path: row.path, idempotency_key: row.idempotency_key },
    object_id: row.object_id,
    status_code: row.status_code,
    created_at: apiTimestamp(row.created_at),
  };
}

/** A merchant's own audit events, newest first; nobody else's (admin events have no merchant). */
export class AuditQueries {
  constructor(private readonly deps: { orm: Orm }) {}

  async list(merchant: Merchant, query: ListAuditEventsQuery): Promise<{ data: ReturnType<typeof renderAuditEvent>[]; hasMore: boolean }> {
    const sql = sqlFor(this.deps.orm.em.fork());
    if (query.starting_after && (await sql.query(`select 1 from audit_events where id = ? and merchant_id = ?`, [query.starting_after, merchant.id])).length === 0) {
      throw ApiError.badRequest(`No such audit event: ${query.starting_after}`, 'resource_missing', 'starting_after');
    }
    const conditions: SqlCondition[] = [['merchant_id = ?', merchant.id]];
    if (query.action) conditions.push(['action = ?', query.action]);
    if (query['created[gte]']) conditions.push(['created_at >= ?', query['created[gte]']]);
    const page = await selectNewestFirst<Row>(sql, 'audit_events', conditions, query.limit, query.starting_after);
    return { data: page.rows.map(renderAuditEvent), hasMore: page.hasMore };
  }
}
