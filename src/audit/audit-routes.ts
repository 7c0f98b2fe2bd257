import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses } from '../api/common-schemas';
import type { AuditService } from './audit-service';
import { auditEventListSchema, listAuditEventsQuery } from './audit-schemas';

/** GET /v1/audit_events: the merchant's own slice of the audit log. */
export function auditRoutes(audit: AuditService): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/audit_events',
      operationId: 'listAuditEvents',
      tags: ['Audit log'],
      auth: 'merchant',
      summary: "List the merchant's audit events, newest first",
      description:
        "Every POST, PATCH and DELETE the merchant's keys made: who, what, when, the request id, the Idempotency-Key and the status. Written within about 50 ms of the response.",
      query: listAuditEventsQuery,
      responses: { 200: { description: 'A page of audit events.', schema: auditEventListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await audit.list(merchant, query);
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
  ];
}
