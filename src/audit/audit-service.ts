import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import type { Merchant } from '../merchants/merchant-record';
import { apiErrors } from '../shared/api-error';
import { apiTimestamp } from '../shared/timestamps';
import type { AuditEventRow } from './audit-record';
import { AuditRepository } from './audit-repository';
import type { ListAuditEventsQuery } from './audit-schemas';

function renderAuditEvent(row: AuditEventRow) {
  return {
    id: row.id,
    object: 'audit_event' as const,
    action: row.action,
    actor: {
      type: row.actor_type,
      api_key: row.api_key_id ? { id: row.api_key_id, redacted: `${row.api_key_prefix}...${row.api_key_last4}` } : null,
    },
    request: { id: row.request_id, method: row.method, route: row.route, path: row.path, idempotency_key: row.idempotency_key },
    object_id: row.object_id,
    status_code: row.status_code,
    created_at: apiTimestamp(row.created_at),
  };
}

/** A merchant's own audit events, newest first; nobody else's (admin events have no merchant). */
export class AuditService {
  constructor(private readonly deps: { orm: Orm }) {}

  /**
   * One page of the merchant's audit events, optionally of one action and from an instant on.
   * @throws 400 resource_missing (starting_after)
   */
  async list(merchant: Merchant, query: ListAuditEventsQuery): Promise<{ data: ReturnType<typeof renderAuditEvent>[]; hasMore: boolean }> {
    const events = new AuditRepository(sqlFor(this.deps.orm.em.fork()));
    if (query.starting_after && !(await events.existsForMerchant(merchant.id, query.starting_after))) {
      throw apiErrors.noSuch('audit event', query.starting_after);
    }
    const page = await events.listForMerchant(merchant.id, {
      action: query.action,
      createdGte: query['created[gte]'],
      limit: query.limit,
      startingAfter: query.starting_after,
    });
    return { data: page.data.map(renderAuditEvent), hasMore: page.hasMore };
  }
}
