/** A payment's receipt as stored: its link's token (once the payment succeeded) and where its emails go. */
export interface ReceiptRecord {
  paymentId: string;
  merchantId: string;
  /** Set when the payment succeeds; null before. */
  token: string | null;
  /** `receipt_email` of the payment (or of its checkout session). */
  email: string | null;
  /** A customer whose email is used when the payment names no address. */
  customerId: string | null;
  createdAt: Date;
}

/** One receipt email sent: at most one per event, so a repeated event is never mailed twice. */
export interface ReceiptEmailRecord {
  eventId: string;
  merchantId: string;
  paymentId: string;
  refundId: string | null;
  recipient: string;
  messageId: string;
  sentAt: Date;
}

/** The events that send a receipt email. */
export const RECEIPT_EVENT_TYPES = ['payment.succeeded', 'refund.succeeded'] as const;
export type ReceiptEventType = (typeof RECEIPT_EVENT_TYPES)[number];
