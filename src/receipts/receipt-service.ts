import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import { sandboxBehaviour } from '../gateways/sandbox/sandbox-tokens';
import { CardTokenRepository } from '../vault/card-token-repository';
import { receiptStatus, type ReceiptFacts } from './receipt-facts';
import { ReceiptRepository, type ReceiptPaymentRow } from './receipt-repository';
import { RECEIPT_TOKEN_PATTERN, receiptUrl } from './receipt-tokens';

export interface ReceiptServiceDeps {
  orm: Orm;
  /** The base of receipt links (PUBLIC_URL). */
  publicUrl: string;
}

/** Reads what a receipt shows: for the public page (by token) and for the receipt emails (by payment). */
export class ReceiptService {
  constructor(private readonly deps: ReceiptServiceDeps) {}

  /** The receipt a token opens; null for a malformed or unknown token, or a payment that has not succeeded. */
  async byToken(token: string): Promise<ReceiptFacts | null> {
    if (!RECEIPT_TOKEN_PATTERN.test(token)) return null;
    const repository = this.repository();
    return this.factsOf(repository, await repository.findPaymentByToken(token));
  }

  /** The receipt of a payment, by id; null until the payment has succeeded and has its token. */
  async forPayment(paymentId: string): Promise<ReceiptFacts | null> {
    const repository = this.repository();
    return this.factsOf(repository, await repository.findPayment(paymentId));
  }

  /** The address the payment's receipts go to, or null. */
  recipientOf(paymentId: string): Promise<string | null> {
    return this.repository().recipientOf(paymentId);
  }

  private repository(): ReceiptRepository {
    return new ReceiptRepository(sqlFor(this.deps.orm.em.fork()));
  }

  private async factsOf(repository: ReceiptRepository, payment: ReceiptPaymentRow | null): Promise<ReceiptFacts | null> {
    if (!payment?.token || payment.status !== 'succeeded') return null;
    const refunds = await repository.refundsOf(payment.paymentId);
    const refundedMinor = refunds.filter((refund) => refund.status === 'succeeded').reduce((sum, refund) => sum + refund.amountMinor, 0);
    return {
      merchantName: payment.merchantName,
      paymentId: payment.paymentId,
      amountMinor: payment.amountCapturedMinor || payment.amountMinor,
      currency: payment.currency,
      description: payment.description,
      card: await this.cardOf(payment.source),
      paidAt: payment.capturedAt ?? payment.createdAt,
      status: receiptStatus(payment.amountCapturedMinor, refundedMinor),
      refunds,
      refundedMinor,
      receiptUrl: receiptUrl(this.deps.publicUrl, payment.token),
    };
  }

  /** Brand and last 4 of a vault card; the brand only of a named sandbox token; nothing for another gateway's source. */
  private async cardOf(source: string): Promise<ReceiptFacts['card']> {
    const vaultCard = await new CardTokenRepository(sqlFor(this.deps.orm.em.fork())).find(source);
    if (vaultCard) return { brand: vaultCard.brand, last4: vaultCard.last4 };
    const sandbox = sandboxBehaviour(source);
    return sandbox ? { brand: sandbox.brand, last4: null } : null;
  }
}
