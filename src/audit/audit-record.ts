/** One mutating request, as the audit log keeps it: who, what, when, outcome. Never a body. */
export interface AuditRecord {
  merchantId: string | null;
  actorType: 'merchant' | 'admin';
  apiKeyId: string | null;
  apiKeyPrefix: string | null;
  apiKeyLast4: string | null;
  action: string;
  method: string;
  route: string;
  path: string;
  objectId: string | null;
  requestId: string;
  idempotencyKey: string | null;
  statusCode: number;
  createdAt: Date;
}

/** An `audit_events` row as PostgreSQL answers it. */
export interface AuditEventRow {
  id: string;
  merchant_id: string | null;
  actor_type: 'merchant' | 'admin';
  api_key_id: string | null;
  api_key_prefix: string | null;
  api_key_last4: string | null;
  action: string;
  method: string;
  route: string;
  path: string;
  object_id: string | null;
  request_id: string;
  idempotency_key: string | null;
  status_code: number;
  created_at: Date;
}
