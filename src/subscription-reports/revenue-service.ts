import { periodWindow, type PeriodWindow } from '../billing/billing-period';
import type { Orm } from '../db/orm';
import { inSnapshot, inTransaction } from '../db/sql';
import type { Merchant } from '../merchants/merchant-entities';
import { ApiError } from '../shared/api-error';
import { sumRevenueFigures, type RevenueFigures } from './revenue-figures';
import { readInvoiceFacts, readSubscriptionFacts } from './revenue-queries';
import { renderRevenueReport } from './revenue-view';

export interface SubscriptionRevenueServiceDeps {
  orm: Orm;
  now?: () => Date;
}

/** Why a month cannot be stored: not 'YYYY-MM', or not over by the run's instant. */
export class SubscriptionReportMonthError extends Error {
  constructor(readonly month: string, readonly reason: 'invalid' | 'not_ended') {
    super(reason === 'invalid' ? `Invalid month "${month}": use YYYY-MM` : `The month ${month} has not ended yet`);
    this.name = 'SubscriptionReportMonthError';
  }
}

export interface RevenueBatchInput {
  month: string;
  /** The run's instant; the month must have ended by then. */
  asOf: Date;
  afterMerchantId?: string | null;
  batchSize?: number;
  /** Only these merchants; every merchant with subscriptions when absent. */
  merchantIds?: string[];
}

export interface RevenueBatchResult {
  merchantsScanned: number;
  reportsStored: number;
  lastMerchantId: string | null;
  hasMore: boolean;
}

const COLUMNS = ['mrr_minor', 'mrr_start_minor', 'new_count', 'new_mrr_minor', 'churned_count', 'churned_mrr_minor', 'invoices_paid_count',
  'invoices_paid_minor', 'failed_count', 'failed_minor', 'recovered_count', 'recovered_minor'] as const;
const FIELDS: (keyof RevenueFigures)[] = ['mrrMinor', 'mrrStartMinor', 'newCount', 'newMrrMinor', 'churnedCount', 'churnedMrrMinor', 'invoicesPaidCount',
  'invoicesPaidMinor', 'failedCount', 'failedMinor', 'recoveredCount', 'recoveredMinor'];

/** Monthly subscription figures per merchant and currency: MRR and its movements, invoices paid, failed and recovered. */
export class SubscriptionRevenueService {
  private readonly now: () => Date;

  constructor(private readonly deps: SubscriptionRevenueServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The figures of [window.start, min(window.end, asOf)) for these merchants, read on one snapshot. */
  async compute(merchantIds: string[], window: PeriodWindow, asOf: Date): Promise<RevenueFigures[]> {
    const end = asOf.getTime() < window.end.getTime() ? asOf : window.end;
    return inSnapshot(this.deps.orm, async (sql) => sumRevenueFigures(
      await readSubscriptionFacts(sql, merchantIds, window.start, end), await readInvoiceFacts(sql, merchantIds, window.start, end), window.start, end));
  }

  /**
   * A merchant's report for a month: what the monthly run stored for an ended month; otherwise
   * (the current month, or a month never stored) computed now and not stored. The current month
   * is as of now.
   */
  async report(merchant: Pick<Merchant, 'id'>, month: string): Promise<Record<string, unknown>> {
    const window = periodWindow(month);
    if (!window) throw ApiError.badRequest(`Invalid month: ${month}, expected YYYY-MM`, 'parameter_invalid', 'month');
    const now = this.now();
    if (window.start.getTime() > now.getTime()) throw ApiError.badRequest(`Invalid month: ${month} has not started yet (UTC)`, 'date_in_future', 'month');
    if (window.end.getTime() <= now.getTime()) {
      const stored = await this.stored(merchant.id, month);
      if (stored.figures.length > 0) return renderRevenueReport(month, stored.asOf as Date, true, stored.figures);
    }
    const asOf = window.end.getTime() <= now.getTime() ? window.end : now;
    return renderRevenueReport(month, asOf, false, await this.compute([merchant.id], window, asOf));
  }

  /** Computes and stores the month's figures of the next `batchSize` merchants with subscriptions (by id), replacing what a previous run stored. */
  async storeBatch({ month, asOf, afterMerchantId = null, batchSize = 100, merchantIds }: RevenueBatchInput): Promise<RevenueBatchResult> {
    const window = periodWindow(month);
    if (!window) throw new SubscriptionReportMonthError(month, 'invalid');
    if (asOf.getTime() < window.end.getTime()) throw new SubscriptionReportMonthError(month, 'not_ended');
    const merchants = await inTransaction(this.deps.orm, (sql) => sql.query<{ id: string }>(
      `select m.id from merchants m
        where m.id > ? ${merchantIds ? 'and m.id = any(?)' : ''} and exists (select 1 from subscriptions s where s.merchant_id = m.id)
        order by m.id limit ?`,
      merchantIds ? [afterMerchantId ?? '', merchantIds, batchSize + 1] : [afterMerchantId ?? '', batchSize + 1]));
    const batch = merchants.slice(0, batchSize).map((row) => row.id);
    const figures = batch.length > 0 ? await this.compute(batch, window, window.end) : [];
    await inTransaction(this.deps.orm, async (sql) => {
      await sql.query(`delete from subscription_revenue_reports where merchant_id = any(?) and month = ?`, [batch, month]);
      for (const f of figures) {
        await sql.query(
          `insert into subscription_revenue_reports (merchant_id, month, currency, ${COLUMNS.join(', ')}, as_of)
           values (?, ?, ?, ${COLUMNS.map(() => '?').join(', ')}, ?)`,
          [f.merchantId, month, f.currency, ...FIELDS.map((field) => f[field]), window.end]);
      }
    });
    return { merchantsScanned: batch.length, reportsStored: figures.length, lastMerchantId: batch.at(-1) ?? afterMerchantId, hasMore: merchants.length > batchSize };
  }

  private async stored(merchantId: string, month: string): Promise<{ asOf: Date | null; figures: RevenueFigures[] }> {
    const rows = await inTransaction(this.deps.orm, (sql) => sql.query<Record<string, any>>(
      `select * from subscription_revenue_reports where merchant_id = ? and month = ? order by currency`, [merchantId, month]));
    const figures = rows.map((row) => {
      const f = { merchantId, currency: String(row.currency).trim() } as RevenueFigures;
      COLUMNS.forEach((column, index) => { (f as unknown as Record<string, number>)[FIELDS[index]] = Number(row[column]); });
      return f;
    });
    return { asOf: rows[0] ? new Date(rows[0].as_of) : null, figures };
  }
}
