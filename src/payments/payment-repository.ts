import type { EntityManager } from '@mikro-orm/postgresql';
import { selectEntitiesNewestFirst, type Page } from '../db/pagination';
import { sqlFor, type Sql } from '../db/sql';
import { PAYMENT_DECIDED_CHANNEL } from './payment-decisions';
import { PaymentEntity, type PaymentRecord } from './payment-record';

const COLUMNS = [
  'id',
  'merchant_id',
  'amount_minor',
  'currency',
  'status',
  'capture_method',
  'source',
  'description',
  'metadata',
  'amount_capturable_minor',
  'amount_captured_minor',
  'amount_refunded_minor',
  'fee_minor',
  'gateway',
  'gateway_reference',
  'failure_code',
  'failure_message',
  'cancellation_reason',
  'created_at',
  'updated_at',
  'authorization_expires_at',
  'captured_at',
  'canceled_at',
  'gateway_account_id',
  'next_action',
  'hold_reason',
  'attempts',
  'routing',
] as const;

// What a later state may change. Never the refunded amount: refunds own it, and may settle before a retried write of the payment's state.
const UPDATABLE = COLUMNS.filter((column) => !['id', 'merchant_id', 'amount_refunded_minor', 'created_at'].includes(column));

function values(record: PaymentRecord): unknown[] {
  return [
    record.id,
    record.merchantId,
    record.amountMinor,
    record.currency,
    record.status,
    record.captureMethod,
    record.source,
    record.description ?? null,
    JSON.stringify(record.metadata ?? {}),
    record.amountCapturableMinor,
    record.amountCapturedMinor,
    record.amountRefundedMinor,
    record.feeMinor,
    record.gateway,
    record.gatewayReference ?? null,
    record.failureCode ?? null,
    record.failureMessage ?? null,
    record.cancellationReason ?? null,
    record.createdAt,
    record.updatedAt,
    record.authorizationExpiresAt ?? null,
    record.capturedAt ?? null,
    record.canceledAt ?? null,
    record.gatewayAccountId ?? null,
    record.nextAction ? JSON.stringify(record.nextAction) : null,
    record.holdReason ?? null,
    record.attempts ? JSON.stringify(record.attempts) : null,
    record.routing ? JSON.stringify(record.routing) : null,
  ];
}

const INSERT = `insert into payments (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`;

/** A payment's captured amount and what its refunds and disputes take or hold, as stored. */
export interface PaymentAmounts {
  paymentId: string;
  merchantId: string;
  status: string;
  currency: string;
  capturedMinor: number;
  /** Refunds that succeeded. */
  refundedMinor: number;
  /** Refunds still pending. */
  pendingRefundsMinor: number;
  /** Disputes that are open or lost; a won dispute gives its amount back. */
  disputedMinor: number;
}

/**
 * Reads and writes of the payments read model, on an `EntityManager` fork; inside the fork's
 * transaction when it has one. The payment workflow's writes, which join a transaction the
 * caller holds (`inTransaction`), are `savePayment` and `notifyPaymentDecided` below.
 */
export class PaymentRepository {
  constructor(private readonly em: EntityManager) {}

  async findForMerchant(merchantId: string, id: string): Promise<PaymentRecord | null> {
    return this.em.findOne(PaymentEntity, { id, merchantId }, { disableIdentityMap: true });
  }

  /** Any merchant's payment: for ops, never for a merchant's request. */
  async findById(id: string): Promise<PaymentRecord | null> {
    return this.em.findOne(PaymentEntity, { id }, { disableIdentityMap: true });
  }

  /** Any merchant's payment, by the gateway's reference for it: for the gateway's own events, which name no merchant. */
  async findByGatewayReference(gateway: string, gatewayReference: string): Promise<PaymentRecord | null> {
    return this.em.findOne(PaymentEntity, { gateway, gatewayReference }, { disableIdentityMap: true });
  }

  /** Newest first, after the payment `startingAfter` (checked to be the merchant's own). */
  async listForMerchant(merchantId: string, limit: number, startingAfter?: string): Promise<Page<PaymentRecord>> {
    return selectEntitiesNewestFirst(this.em, PaymentEntity, 'payments', [['merchant_id = ?', merchantId]], limit, startingAfter);
  }

  /** Inserts the first `processing` row unless the workflow got there first. */
  async insertIfAbsent(record: PaymentRecord): Promise<void> {
    await sqlFor(this.em).query(`${INSERT} on conflict (id) do nothing`, values(record));
  }

  /**
   * A payment's amounts, or null when there is no such payment. With `lock`, the payment row stays
   * locked until the fork's transaction ends.
   */
  async readAmounts(paymentId: string, { lock }: { lock: boolean }): Promise<PaymentAmounts | null> {
    const sql = sqlFor(this.em);
    const [payment] = await sql.query<{ id: string; merchant_id: string; status: string; currency: string; amount_captured_minor: string }>(
      `select id, merchant_id, status, currency, amount_captured_minor from payments where id = ?${lock ? ' for update' : ''}`,
      [paymentId],
    );
    if (!payment) return null;
    const [sums] = await sql.query<{ refunded: string; pending: string; disputed: string }>(
      `select
       coalesce((select sum(amount_minor) from refunds where payment_id = ? and status = 'succeeded'), 0) as refunded,
       coalesce((select sum(amount_minor) from refunds where payment_id = ? and status = 'pending'), 0) as pending,
       coalesce((select sum(amount_minor) from disputes where payment_id = ? and status <> 'won'), 0) as disputed`,
      [paymentId, paymentId, paymentId],
    );
    return {
      paymentId: payment.id,
      merchantId: payment.merchant_id,
      status: payment.status,
      currency: payment.currency.trim(),
      capturedMinor: Number(payment.amount_captured_minor),
      refundedMinor: Number(sums.refunded),
      pendingRefundsMinor: Number(sums.pending),
      disputedMinor: Number(sums.disputed),
    };
  }

  /** Adds a settled refund to the payment's refunded amount, in the fork's transaction (the refund's settlement). */
  async addRefunded(paymentId: string, amountMinor: number, updatedAt: Date): Promise<void> {
    await this.em
      .getConnection()
      .execute(
        `update payments set amount_refunded_minor = amount_refunded_minor + ?, updated_at = ? where id = ?`,
        [amountMinor, updatedAt, paymentId],
        'run',
        this.em.getTransactionContext(),
      );
  }
}

/** Writes the payment workflow's latest state in the caller's transaction; later states overwrite earlier ones. */
export async function savePayment(sql: Sql, record: PaymentRecord): Promise<void> {
  await sql.query(
    `${INSERT} on conflict (id) do update set ${UPDATABLE.map((column) => `${column} = excluded.${column}`).join(', ')}`,
    values(record),
  );
}

/** Queued in the recording transaction: PostgreSQL delivers it at commit, so a listener never hears of an unstored decision. */
export async function notifyPaymentDecided(sql: Sql, paymentId: string): Promise<void> {
  await sql.query(`select pg_notify('${PAYMENT_DECIDED_CHANNEL}', ?)`, [paymentId]);
}
