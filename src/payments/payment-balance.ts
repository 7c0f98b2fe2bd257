import type { EntityManager } from '@mikro-orm/postgresql';

/** A captured payment's money: what came in, and what refunds and disputes have taken or hold. */
export interface PaymentBalance {
  paymentId: string;
  merchantId: string;
  status: string;
  currency: string;
  capturedMinor: number;
  refundedMinor: number;
  pendingRefundsMinor: number;
  /** Disputes that are open or lost; a won dispute gives its amount back. */
  disputedMinor: number;
  /** What a new refund or dispute may still take. */
  availableMinor: number;
}

/**
 * Reads a payment's balance. With `lock`, the payment row stays locked until the caller's
 * transaction ends: concurrent refunds and disputes of one payment take turns, so together they
 * can never exceed what was captured.
 */
export async function readPaymentBalance(em: EntityManager, paymentId: string, { lock }: { lock: boolean }): Promise<PaymentBalance | null> {
  const connection = em.getConnection();
  const trx = em.getTransactionContext();
  const [payment] = await connection.execute<{ id: string; merchant_id: string; status: string; currency: string; amount_captured_minor: string }[]>(
    `select id, merchant_id, status, currency, amount_captured_minor from payments where id = ?${lock ? ' for update' : ''}`, [paymentId], 'all', trx);
  if (!payment) return null;
  const [sums] = await connection.execute<{ refunded: string; pending: string; disputed: string }[]>(
    `select
       coalesce((select sum(amount_minor) from refunds where payment_id = ? and status = 'succeeded'), 0) as refunded,
       coalesce((select sum(amount_minor) from refunds where payment_id = ? and status = 'pending'), 0) as pending,
       coalesce((select sum(amount_minor) from disputes where payment_id = ? and status <> 'won'), 0) as disputed`,
    [paymentId, paymentId, paymentId], 'all', trx);
  const capturedMinor = Number(payment.amount_captured_minor);
  const refundedMinor = Number(sums.refunded);
  const pendingRefundsMinor = Number(sums.pending);
  const disputedMinor = Number(sums.disputed);
  return {
    paymentId: payment.id, merchantId: payment.merchant_id, status: payment.status, currency: payment.currency.trim(),
    capturedMinor, refundedMinor, pendingRefundsMinor, disputedMinor,
    availableMinor: Math.max(0, capturedMinor - refundedMinor - pendingRefundsMinor - disputedMinor),
  };
}
