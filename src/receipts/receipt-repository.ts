import type { Sql } from '../db/sql';
import type { ReceiptEmailRecord, ReceiptEventType } from './receipt-record';

/** The stored facts a receipt shows, as one payment's row with its merchant's name. */
export interface ReceiptPaymentRow {
  paymentId: string;
  merchantId: string;
  merchantName: string;
  amountMinor: number;
  amountCapturedMinor: number;
  currency: string;
  description: string | null;
  status: string;
  source: string;
  token: string | null;
  capturedAt: Date | null;
  createdAt: Date;
}

export interface ReceiptRefundRow {
  id: string;
  amountMinor: number;
  status: string;
  createdAt: Date;
}

/** An event the receipt mailer claimed, with the payment it is about and whether that payment has an address. */
export interface ClaimedReceiptEvent {
  eventId: string;
  merchantId: string;
  type: ReceiptEventType;
  paymentId: string;
  refundId: string | null;
  addressed: boolean;
}

interface PaymentRow {
  id: string;
  merchant_id: string;
  merchant_name: string;
  amount_minor: string;
  amount_captured_minor: string;
  currency: string;
  description: string | null;
  status: string;
  source: string;
  token: string | null;
  captured_at: Date | string | null;
  created_at: Date | string;
}

const PAYMENT_SELECT = `select p.id, p.merchant_id, m.name as merchant_name, p.amount_minor, p.amount_captured_minor, p.currency,
  p.description, p.status, p.source, r.token, p.captured_at, p.created_at
  from payments p join merchants m on m.id = p.merchant_id left join receipts r on r.payment_id = p.id`;

const fromPaymentRow = (row: PaymentRow): ReceiptPaymentRow => ({
  paymentId: row.id,
  merchantId: row.merchant_id,
  merchantName: row.merchant_name,
  amountMinor: Number(row.amount_minor),
  amountCapturedMinor: Number(row.amount_captured_minor),
  currency: row.currency.trim(),
  description: row.description,
  status: row.status,
  source: row.source,
  token: row.token,
  capturedAt: row.captured_at ? new Date(row.captured_at) : null,
  createdAt: new Date(row.created_at),
});

/**
 * Every read and write of `receipts`, `receipt_emails` and `receipt_outbox`, on the caller's `Sql`
 * (`inTransaction`, or `sqlFor(em)` on a fork): writes join the caller's transaction.
 */
export class ReceiptRepository {
  constructor(private readonly sql: Sql) {}

  /** Where the payment's receipt emails go (an address, or a customer whose email is used); the first answer stays. */
  async rememberRecipient(receipt: {
    paymentId: string;
    merchantId: string;
    email?: string | null;
    customerId?: string | null;
  }): Promise<void> {
    await this.sql.query(
      `insert into receipts (payment_id, merchant_id, email, customer_id) values (?, ?, ?, ?) on conflict (payment_id) do nothing`,
      [receipt.paymentId, receipt.merchantId, receipt.email ?? null, receipt.customerId ?? null],
    );
  }

  /** The payment's receipt token: `candidate` unless it has one already (a retried write keeps the first). */
  async ensureToken(paymentId: string, merchantId: string, candidate: string): Promise<string> {
    const [row] = await this.sql.query<{ token: string }>(
      `insert into receipts (payment_id, merchant_id, token) values (?, ?, ?)
       on conflict (payment_id) do update set token = coalesce(receipts.token, excluded.token) returning token`,
      [paymentId, merchantId, candidate],
    );
    return row.token;
  }

  /** The receipt tokens of these payments, by payment id (payments without one are absent). */
  async tokensFor(paymentIds: string[]): Promise<Map<string, string>> {
    if (paymentIds.length === 0) return new Map();
    const rows = await this.sql.query<{ payment_id: string; token: string }>(
      `select payment_id, token from receipts where payment_id in (${paymentIds.map(() => '?').join(', ')}) and token is not null`,
      paymentIds,
    );
    return new Map(rows.map((row) => [row.payment_id, row.token]));
  }

  /** The payment a receipt token opens, with its merchant's name. */
  async findPaymentByToken(token: string): Promise<ReceiptPaymentRow | null> {
    const [row] = await this.sql.query<PaymentRow>(`${PAYMENT_SELECT} where r.token = ?`, [token]);
    return row ? fromPaymentRow(row) : null;
  }

  /** The payment by id, with its merchant's name and receipt token. */
  async findPayment(paymentId: string): Promise<ReceiptPaymentRow | null> {
    const [row] = await this.sql.query<PaymentRow>(`${PAYMENT_SELECT} where p.id = ?`, [paymentId]);
    return row ? fromPaymentRow(row) : null;
  }

  /** The payment's refunds, oldest first. */
  async refundsOf(paymentId: string): Promise<ReceiptRefundRow[]> {
    const rows = await this.sql.query<{ id: string; amount_minor: string; status: string; created_at: Date | string }>(
      `select id, amount_minor, status, created_at from refunds where payment_id = ? order by created_at, id`,
      [paymentId],
    );
    return rows.map((row) => ({
      id: row.id,
      amountMinor: Number(row.amount_minor),
      status: row.status,
      createdAt: new Date(row.created_at),
    }));
  }

  /** The address the payment's receipts go to: its own, else its customer's; null when it has neither. */
  async recipientOf(paymentId: string): Promise<string | null> {
    const [row] = await this.sql.query<{ email: string | null }>(
      `select coalesce(r.email, c.email) as email from receipts r left join customers c on c.id = r.customer_id where r.payment_id = ?`,
      [paymentId],
    );
    return row?.email ?? null;
  }

  /** The email already sent for this event, if any. */
  async findSentEmail(eventId: string): Promise<ReceiptEmailRecord | null> {
    const [row] = await this.sql.query<{
      event_id: string;
      merchant_id: string;
      payment_id: string;
      refund_id: string | null;
      recipient: string;
      message_id: string;
      sent_at: Date | string;
    }>(`select * from receipt_emails where event_id = ?`, [eventId]);
    if (!row) return null;
    return {
      eventId: row.event_id,
      merchantId: row.merchant_id,
      paymentId: row.payment_id,
      refundId: row.refund_id,
      recipient: row.recipient,
      messageId: row.message_id,
      sentAt: new Date(row.sent_at),
    };
  }

  /** Records a sent email; a second record of the same event changes nothing. */
  async recordSentEmail(email: Omit<ReceiptEmailRecord, 'sentAt'>): Promise<void> {
    await this.sql.query(
      `insert into receipt_emails (event_id, merchant_id, payment_id, refund_id, recipient, message_id) values (?, ?, ?, ?, ?, ?)
       on conflict (event_id) do nothing`,
      [email.eventId, email.merchantId, email.paymentId, email.refundId, email.recipient, email.messageId],
    );
  }

  /**
   * Takes up to 50 events off the receipt outbox, oldest first, with the payment each is about. Rows
   * another process holds are skipped; the claim holds only if the caller's transaction commits.
   */
  async claimOutbox(): Promise<ClaimedReceiptEvent[]> {
    const rows = await this.sql.query<{
      id: string;
      merchant_id: string;
      type: ReceiptEventType;
      payment_id: string;
      refund_id: string | null;
      addressed: boolean;
    }>(
      `with claimed as (
         delete from receipt_outbox
          where event_id in (select event_id from receipt_outbox order by created_at limit 50 for update skip locked)
          returning event_id)
       select e.id, e.merchant_id, e.type, coalesce(rf.payment_id, e.object_id) as payment_id,
              case when e.type = 'refund.succeeded' then e.object_id end as refund_id,
              (r.email is not null or r.customer_id is not null) as addressed
         from claimed c join events e on e.id = c.event_id
         left join refunds rf on e.type = 'refund.succeeded' and rf.id = e.object_id
         left join receipts r on r.payment_id = coalesce(rf.payment_id, e.object_id)
        order by e.created_at`,
    );
    return rows.map((row) => ({
      eventId: row.id,
      merchantId: row.merchant_id,
      type: row.type,
      paymentId: row.payment_id,
      refundId: row.refund_id,
      addressed: row.addressed === true,
    }));
  }

  /** Puts an event back on the outbox (ops, and tests of a repeated event). */
  async requeue(eventId: string): Promise<void> {
    await this.sql.query(`insert into receipt_outbox (event_id) values (?) on conflict do nothing`, [eventId]);
  }
}
