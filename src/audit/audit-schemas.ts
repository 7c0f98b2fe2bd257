import { z } from 'zod';
import { queryInstant } from '../api/common-schemas';

const instant = queryInstant;

export const listAuditEventsQuery = z.strictObject({
  action: z
    .string()
    .regex(/^[A-Za-z]{1,100}$/, 'must be an operation id such as createPayment')
    .optional()
    .describe('Only events of this action: the operation id of the route (createPayment, createRefund, revokeApiKey, ...).'),
  'created[gte]': instant.optional().describe('Created at or after (Unix seconds or ISO 8601).'),
  limit: z.coerce.number().int().min(1).max(100).default(10).describe('How many events to return, 1-100.'),
  starting_after: z
    .string()
    .regex(/^aud_[0-9A-Za-z]{1,64}$/, 'must be an audit event id')
    .optional()
    .describe('Cursor: the last id of the previous page.'),
});
export type ListAuditEventsQuery = z.output<typeof listAuditEventsQuery>;

export const auditEventSchema = z
  .object({
    id: z.string(),
    object: z.literal('audit_event'),
    action: z.string().describe('The operation id of the route, e.g. createPayment.'),
    actor: z.object({
      type: z.enum(['merchant', 'admin']),
      api_key: z
        .object({ id: z.string(), redacted: z.string() })
        .nullable()
        .describe('The key the request used, by id and prefix/last four.'),
    }),
    request: z.object({
      id: z.string().describe('The Request-Id of the request.'),
      method: z.string(),
      route: z.string().describe('The route pattern, e.g. /v1/payments/:id/capture.'),
      path: z.string(),
      idempotency_key: z.string().nullable(),
    }),
    object_id: z.string().nullable().describe("The object created or touched (the response's id, else the path's)."),
    status_code: z.number().int(),
    created_at: z.string(),
  })
  .describe('One mutating request, as the append-only audit log keeps it. Request bodies are never recorded.');

export const auditEventListSchema = z.object({ object: z.literal('list'), data: z.array(auditEventSchema), has_more: z.boolean() });
