import type { Sql } from '../db/sql';
import { selectNewestFirst, type SqlCondition } from '../db/pagination';
import type { InvoiceLine } from '../subscriptions/invoice-lines';
import type { InvoiceState } from '../subscriptions/subscription-state';
import type { BillingReason, InvoiceRecord, InvoiceStatus } from './invoice-record';

type Row = Record<string, any>;

const dateOrNull = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string));

/** An `invoices` row (as `select *` returns it) as a record: bigints as numbers, timestamps as Dates. */
export function invoiceFromRow(row: Row): InvoiceRecord {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    subscriptionId: row.subscription_id,
    customerId: row.customer_id,
    cycle: Number(row.cycle),
    status: row.status as InvoiceStatus,
    billingReason: row.billing_reason as BillingReason,
    currency: String(row.currency).trim(),
    lines: (row.lines ?? []) as InvoiceLine[],
    subtotalMinor: Number(row.subtotal_minor),
    creditAppliedMinor: Number(row.credit_applied_minor),
    amountDueMinor: Number(row.amount_due_minor),
    amountPaidMinor: Number(row.amount_paid_minor),
    attemptCount: Number(row.attempt_count),
    nextPaymentAttempt: dateOrNull(row.next_payment_attempt),
    lastPaymentId: row.last_payment_id ?? null,
    lastFailureCode: row.last_failure_code ?? null,
    periodStart: new Date(row.period_start),
    periodEnd: new Date(row.period_end),
    paidAt: dateOrNull(row.paid_at),
    markedUncollectibleAt: dateOrNull(row.marked_uncollectible_at),
    voidedAt: dateOrNull(row.voided_at),
    version: Number(row.version),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export interface InvoiceFilters {
  subscriptionId?: string;
  customerId?: string;
  status?: InvoiceStatus;
}

/** Subscription invoices: the subscription workflow's activities write them, a merchant reads its own (never another merchant's). */
export class InvoiceRepository {
  constructor(private readonly sql: Sql) {}

  async findForMerchant(merchantId: string, id: string): Promise<InvoiceRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from invoices where id = ? and merchant_id = ?`, [id, merchantId]);
    return row ? invoiceFromRow(row) : null;
  }

  async listForMerchant(
    merchantId: string,
    query: InvoiceFilters & { limit: number; startingAfter?: string },
  ): Promise<{ data: InvoiceRecord[]; hasMore: boolean }> {
    const conditions: SqlCondition[] = [['merchant_id = ?', merchantId]];
    if (query.subscriptionId !== undefined) conditions.push(['subscription_id = ?', query.subscriptionId]);
    if (query.customerId !== undefined) conditions.push(['customer_id = ?', query.customerId]);
    if (query.status !== undefined) conditions.push(['status = ?', query.status]);
    const page = await selectNewestFirst<Row>(this.sql, 'invoices', conditions, query.limit, query.startingAfter);
    return { data: page.data.map(invoiceFromRow), hasMore: page.hasMore };
  }

  /** Writes the subscription workflow's invoice state; `version` only grows: a retried older write never overwrites a newer state. */
  async save(i: InvoiceState): Promise<void> {
    await this.sql.query(
      `insert into invoices (id, merchant_id, subscription_id, customer_id, cycle, status, billing_reason, currency, lines, subtotal_minor,
       credit_applied_minor, amount_due_minor, amount_paid_minor, attempt_count, next_payment_attempt, last_payment_id, last_failure_code,
       period_start, period_end, paid_at, marked_uncollectible_at, voided_at, version, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())
     on conflict (id) do update set status = excluded.status, amount_paid_minor = excluded.amount_paid_minor,
       attempt_count = excluded.attempt_count, next_payment_attempt = excluded.next_payment_attempt,
       last_payment_id = excluded.last_payment_id, last_failure_code = excluded.last_failure_code, paid_at = excluded.paid_at,
       marked_uncollectible_at = excluded.marked_uncollectible_at, voided_at = excluded.voided_at, version = excluded.version, updated_at = now()
     where invoices.version < excluded.version`,
      [
        i.invoiceId,
        i.merchantId,
        i.subscriptionId,
        i.customerId,
        i.cycle,
        i.status,
        i.billingReason,
        i.currency,
        JSON.stringify(i.lines),
        i.subtotalMinor,
        i.creditAppliedMinor,
        i.amountDueMinor,
        i.amountPaidMinor,
        i.attemptCount,
        i.nextPaymentAttempt,
        i.lastPaymentId,
        i.lastFailureCode,
        i.periodStart,
        i.periodEnd,
        i.paidAt,
        i.markedUncollectibleAt,
        i.voidedAt,
        i.version,
        i.createdAt,
      ],
    );
  }
}
