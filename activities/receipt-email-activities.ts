import type { Orm } from '../src/db/orm';
import { sqlFor } from '../src/db/sql';
import { renderReceiptEmail } from '../src/receipts/receipt-email';
import { createMailer, receiptMessageId, type Mailer } from '../src/receipts/receipt-mailer';
import { ReceiptRepository } from '../src/receipts/receipt-repository';
import { ReceiptService } from '../src/receipts/receipt-service';
import type { AppConfig } from '../src/config';

export interface ReceiptEmailActivityDeps {
  orm: Orm;
  /** The base of receipt links (PUBLIC_URL); without it and `mail`, receipt emails are not sent. */
  publicUrl?: string;
  mail?: AppConfig['mail'];
  /** A mailer of the caller's (tests); by default built from `mail`. */
  mailer?: Mailer;
}

export interface SendReceiptEmailInput {
  eventId: string;
  merchantId: string;
  paymentId: string;
  /** Set for a refund's email. */
  refundId?: string;
}

/** Whether a message went out; never the address, which stays out of workflow histories. */
export interface SendReceiptEmailResult {
  sent: boolean;
  reason?: 'already_sent' | 'no_recipient' | 'no_receipt' | 'mail_not_configured';
  messageId?: string;
}

export function createReceiptEmailActivities({ orm, publicUrl, mail, mailer: given }: ReceiptEmailActivityDeps) {
  const mailer = given ?? (mail ? createMailer(mail) : undefined);
  const receipts = publicUrl ? new ReceiptService({ orm, publicUrl }) : undefined;
  return {
    /**
     * Sends the receipt email of one event (a payment's or a refund's success), once: an event already
     * recorded as sent is not sent again, and the Message-ID comes from the event so that a send
     * retried after a crash before the record is recognisable as the same message.
     */
    async sendReceiptEmail(input: SendReceiptEmailInput): Promise<SendReceiptEmailResult> {
      if (!mailer || !receipts || !mail) return { sent: false, reason: 'mail_not_configured' };
      const repository = new ReceiptRepository(sqlFor(orm.em.fork()));
      const already = await repository.findSentEmail(input.eventId);
      if (already) return { sent: false, reason: 'already_sent', messageId: already.messageId };
      const recipient = await repository.recipientOf(input.paymentId);
      if (!recipient) return { sent: false, reason: 'no_recipient' };
      const facts = await receipts.forPayment(input.paymentId);
      if (!facts) return { sent: false, reason: 'no_receipt' };
      const content = renderReceiptEmail(facts, input.refundId ? { kind: 'refund', refundId: input.refundId } : { kind: 'payment' });
      const messageId = receiptMessageId(input.eventId, mail.from);
      await mailer.send({ to: recipient, messageId, ...content });
      await repository.recordSentEmail({
        eventId: input.eventId,
        merchantId: input.merchantId,
        paymentId: input.paymentId,
        refundId: input.refundId ?? null,
        recipient,
        messageId,
      });
      return { sent: true, messageId };
    },
  };
}
