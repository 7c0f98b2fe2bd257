import type { Sql } from '../db/sql';
import type { BillingInterval } from '../subscriptions/billing-periods';
import type { InvoiceFacts, RevenueFigures, SubscriptionFacts } from './revenue-figures';

type Row = Record<string, any>;

const COLUMNS = [
  'mrr_minor',
  'mrr_start_minor',
  'new_count',
  'new_mrr_minor',
  'churned_count',
  'churned_mrr_minor',
  'invoices_paid_count',
  'invoices_paid_minor',
  'failed_count',
  'failed_minor',
  'recovered_count',
  'recovered_minor',
] as const;
const FIELDS: (keyof RevenueFigures)[] = [
  'mrrMinor',
  'mrrStartMinor',
  'newCount',
  'newMrrMinor',
  'churnedCount',
  'churnedMrrMinor',
  'invoicesPaidCount',
  'invoicesPaidMinor',
  'failedCount',
  'failedMinor',
  'recoveredCount',
  'recoveredMinor',
];

// These queries run on `inSnapshot`'s (or `inTransaction`'s) plain pg connection: numbered parameters, used more than
// once, and JavaScript arrays sent as PostgreSQL arrays (the ORM's driver would expand them into lists).

// The status a subscription's last `customer.subscription.*` event recorded before an instant:
// the events are the subscription's history, the row only its present.
const STATUS_BEFORE = (instant: string) => `(select e.data->'object'->>'status' from events e
   where e.object_id = s.id and e.object_type = 'subscription' and e.created_at < ${instant}
   order by e.created_at desc, e.id desc limit 1)`;

/**
 * The reads behind the monthly subscription figures and the table the monthly run stores them in
 * (`subscription_revenue_reports`), on the caller's transaction or snapshot.
 */
export class RevenueRepository {
  constructor(private readonly sql: Sql) {}

  /** Every subscription of the merchants that was live at some point of [start, end), with its plan and its status at both ends. */
  async subscriptionFacts(merchantIds: string[], start: Date, end: Date): Promise<SubscriptionFacts[]> {
    const rows = await this.sql.query<Row>(
      `select s.merchant_id, s.status, s.created_at, s.ended_at, s.trial_end,
            p.amount_minor, trim(p.currency) as currency, p.interval, p.interval_count,
            ${STATUS_BEFORE('$1::timestamptz')} as status_at_start,
            ${STATUS_BEFORE('$2::timestamptz')} as status_at_end,
            (select e.data->'object'->>'status' from events e
              where s.ended_at is not null and e.object_id = s.id and e.object_type = 'subscription' and e.data->'object'->>'status' <> 'canceled'
              order by e.created_at desc, e.id desc limit 1) as status_before_canceled
       from subscriptions s join plans p on p.id = s.plan_id
      where s.merchant_id = any($3) and s.created_at < $2 and (s.ended_at is null or s.ended_at >= $1)`,
      [start, end, merchantIds],
    );
    return rows.map((row) => ({
      merchantId: row.merchant_id,
      currency: row.currency,
      amountMinor: Number(row.amount_minor),
      interval: row.interval as BillingInterval,
      intervalCount: Number(row.interval_count),
      createdAt: new Date(row.created_at),
      endedAt: row.ended_at ? new Date(row.ended_at) : null,
      trialEnd: row.trial_end ? new Date(row.trial_end) : null,
      status: row.status,
      statusAtStart: row.status_at_start,
      statusAtEnd: row.status_at_end,
      statusBeforeCanceled: row.status_before_canceled,
    }));
  }

  /**
   * Invoices paid in [start, end), and invoices with a failed payment attempt in it: from their
   * `invoice.payment_failed` events, or, for an invoice without any, from a second attempt or a
   * failure code on its last (the first attempt, at its creation, failed). Recovered: of those, the
   * ones paid after their first failure in the window and before its end.
   */
  async invoiceFacts(merchantIds: string[], start: Date, end: Date): Promise<InvoiceFacts[]> {
    const paid = await this.sql.query<Row>(
      `select merchant_id, trim(currency) as currency, count(*)::int as count, sum(amount_paid_minor)::bigint as amount
       from invoices where merchant_id = any($1) and paid_at >= $2 and paid_at < $3 group by 1, 2`,
      [merchantIds, start, end],
    );
    const failed = await this.sql.query<Row>(
      `with failures as (
       select e.object_id as invoice_id, min(e.created_at) as first_failed_at
         from events e
        where e.merchant_id = any($1) and e.type = 'invoice.payment_failed' and e.created_at >= $2 and e.created_at < $3
        group by e.object_id
       union all
       select i.id, i.created_at from invoices i
        where i.merchant_id = any($1) and i.created_at >= $2 and i.created_at < $3 and (i.attempt_count > 1 or i.last_failure_code is not null)
          and not exists (select 1 from events e where e.object_id = i.id and e.type = 'invoice.payment_failed'))
     select i.merchant_id, trim(i.currency) as currency, count(*)::int as failed_count, sum(i.amount_due_minor)::bigint as failed_minor,
            count(*) filter (where i.paid_at > f.first_failed_at and i.paid_at < $3)::int as recovered_count,
            coalesce(sum(i.amount_paid_minor) filter (where i.paid_at > f.first_failed_at and i.paid_at < $3), 0)::bigint as recovered_minor
       from failures f join invoices i on i.id = f.invoice_id
      group by 1, 2`,
      [merchantIds, start, end],
    );

    const facts = new Map<string, InvoiceFacts>();
    const of = (merchantId: string, currency: string) => {
      const key = `${merchantId}\u0000${currency}`;
      if (!facts.has(key)) {
        facts.set(key, {
          merchantId,
          currency,
          invoicesPaidCount: 0,
          invoicesPaidMinor: 0,
          failedCount: 0,
          failedMinor: 0,
          recoveredCount: 0,
          recoveredMinor: 0,
        });
      }
      return facts.get(key) as InvoiceFacts;
    };
    for (const row of paid)
      Object.assign(of(row.merchant_id, row.currency), { invoicesPaidCount: row.count, invoicesPaidMinor: Number(row.amount) });
    for (const row of failed) {
      Object.assign(of(row.merchant_id, row.currency), {
        failedCount: row.failed_count,
        failedMinor: Number(row.failed_minor),
        recoveredCount: row.recovered_count,
        recoveredMinor: Number(row.recovered_minor),
      });
    }
    return [...facts.values()];
  }

  /** Up to `limit` merchants with subscriptions (of `merchantIds` when given), by id, after `afterMerchantId` ('' for the first). */
  async merchantIdsWithSubscriptions(afterMerchantId: string, limit: number, merchantIds?: string[]): Promise<string[]> {
    const rows = await this.sql.query<{ id: string }>(
      `select m.id from merchants m
        where m.id > ? ${merchantIds ? 'and m.id = any(?)' : ''} and exists (select 1 from subscriptions s where s.merchant_id = m.id)
        order by m.id limit ?`,
      merchantIds ? [afterMerchantId, merchantIds, limit] : [afterMerchantId, limit],
    );
    return rows.map((row) => row.id);
  }

  /** Replaces the month's stored figures of these merchants with `figures`, computed as of `asOf`. */
  async replaceReports(merchantIds: string[], month: string, figures: RevenueFigures[], asOf: Date): Promise<void> {
    await this.sql.query(`delete from subscription_revenue_reports where merchant_id = any(?) and month = ?`, [merchantIds, month]);
    for (const f of figures) {
      await this.sql.query(
        `insert into subscription_revenue_reports (merchant_id, month, currency, ${COLUMNS.join(', ')}, as_of)
           values (?, ?, ?, ${COLUMNS.map(() => '?').join(', ')}, ?)`,
        [f.merchantId, month, f.currency, ...FIELDS.map((field) => f[field]), asOf],
      );
    }
  }

  /** What the monthly run stored for the merchant's month, by currency; `asOf` null when nothing was. */
  async storedReports(merchantId: string, month: string): Promise<{ asOf: Date | null; figures: RevenueFigures[] }> {
    const rows = await this.sql.query<Row>(
      `select * from subscription_revenue_reports where merchant_id = ? and month = ? order by currency`,
      [merchantId, month],
    );
    const figures = rows.map((row) => {
      const f = { merchantId, currency: String(row.currency).trim() } as RevenueFigures;
      COLUMNS.forEach((column, index) => {
        (f as unknown as Record<string, number>)[FIELDS[index]] = Number(row[column]);
      });
      return f;
    });
    return { asOf: rows[0] ? new Date(rows[0].as_of) : null, figures };
  }
}
