import type { EntityManager } from '@mikro-orm/postgresql';
import { PaymentRepository, type PaymentAmounts } from './payment-repository';

/** A captured payment's money: what came in, what refunds and disputes have taken or hold, and what is left. */
export interface PaymentBalance extends PaymentAmounts {
  /** What a new refund or dispute may still take. */
  availableMinor: number;
}

/**
 * Reads a payment's balance. With `lock`, the payment row stays locked until the caller's
 * transaction ends: concurrent refunds and disputes of one payment take turns, so together they
 * can never exceed what was captured.
 */
export async function readPaymentBalance(
  em: EntityManager,
  paymentId: string,
  { lock }: { lock: boolean },
): Promise<PaymentBalance | null> {
  const amounts = await new PaymentRepository(em).readAmounts(paymentId, { lock });
  if (!amounts) return null;
  const { capturedMinor, refundedMinor, pendingRefundsMinor, disputedMinor } = amounts;
  return {
    ...amounts,
    availableMinor: Math.max(0, capturedMinor - refundedMinor - pendingRefundsMinor - disputedMinor),
  };
}
