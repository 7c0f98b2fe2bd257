import type { Sql } from '../db/sql';
import type { PaymentRecord } from './payment-entity';

const COLUMNS = [
  'id', 'merchant_id', 'amount_minor', 'currency', 'status', 'capture_method', 'source', 'description', 'metadata',
  'amount_capturable_minor', 'amount_captured_minor', 'amount_refunded_minor', 'fee_minor', 'gateway', 'gateway_reference',
  'failure_code', 'failure_message', 'cancellation_reason', 'created_at', 'updated_at', 'authorization_expires_at', 'captured_at', 'canceled_at',
] as const;

// What a later state may change. Never the refunded amount: refunds own it, and may settle before a retried write of the payment's state.
const UPDATABLE = COLUMNS.filter((column) => !['id', 'merchant_id', 'amount_refunded_minor', 'created_at'].includes(column));

function values(record: PaymentRecord): unknown[] {
  return [
    record.id, record.merchantId, record.amountMinor, record.currency, record.status, record.captureMethod, record.source,
    record.description ?? null, JSON.stringify(record.metadata ?? {}), record.amountCapturableMinor, record.amountCapturedMinor,
    record.amountRefundedMinor, record.feeMinor, record.gateway, record.gatewayReference ?? null, record.failureCode ?? null,
    record.failureMessage ?? null, record.cancellationReason ?? null, record.createdAt, record.updatedAt,
    record.authorizationExpiresAt ?? null, record.capturedAt ?? null, record.canceledAt ?? null,
  ];
}

const INSERT = `insert into payments (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`;

/** Writes the payment workflow's latest state; later states overwrite earlier ones. */
export async function savePayment(sql: Sql, record: PaymentRecord): Promise<void> {
  await sql.query(`${INSERT} on conflict (id) do update set ${UPDATABLE.map((column) => `${column} = excluded.${column}`).join(', ')}`, values(record));
}

/** Inserts the first `processing` row unless the workflow got there first. */
export async function insertPaymentIfAbsent(sql: Sql, record: PaymentRecord): Promise<void> {
  await sql.query(`${INSERT} on conflict (id) do nothing`, values(record));
}
