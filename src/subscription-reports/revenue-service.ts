import { periodWindow, type PeriodWindow } from '../billing/billing-period';
import type { Orm } from '../db/orm';
import { inSnapshot, inTransaction } from '../db/sql';
import type { Merchant } from '../merchants/merchant-record';
import { ApiError, apiErrors } from '../shared/api-error';
import { sumRevenueFigures, type RevenueFigures } from './revenue-figures';
import { RevenueRepository } from './revenue-repository';
import { renderRevenueReport } from './revenue-view';

export interface SubscriptionRevenueServiceDeps {
  orm: Orm;
  now?: () => Date;
}

/** Why a month cannot be stored: not 'YYYY-MM', or not over by the run's instant. */
export class SubscriptionReportMonthError extends Error {
  constructor(
    readonly month: string,
    readonly reason: 'invalid' | 'not_ended',
  ) {
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

/** Monthly subscription figures per merchant and currency: MRR and its movements, invoices paid, failed and recovered. */
export class SubscriptionRevenueService {
  private readonly now: () => Date;

  constructor(private readonly deps: SubscriptionRevenueServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The figures of [window.start, min(window.end, asOf)) for these merchants, read on one snapshot. */
  async compute(merchantIds: string[], window: PeriodWindow, asOf: Date): Promise<RevenueFigures[]> {
    const end = asOf.getTime() < window.end.getTime() ? asOf : window.end;
    return inSnapshot(this.deps.orm, async (sql) => {
      const repository = new RevenueRepository(sql);
      return sumRevenueFigures(
        await repository.subscriptionFacts(merchantIds, window.start, end),
        await repository.invoiceFacts(merchantIds, window.start, end),
        window.start,
        end,
      );
    });
  }

  /**
   * A merchant's report for a month: what the monthly run stored for an ended month; otherwise
   * (the current month, or a month never stored) computed now and not stored. The current month
   * is as of now.
   * @throws 400 parameter_invalid, 400 date_in_future
   */
  async report(merchant: Pick<Merchant, 'id'>, month: string): Promise<Record<string, unknown>> {
    const window = periodWindow(month);
    if (!window) throw apiErrors.invalidParameter('month', `Invalid month: ${month}, expected YYYY-MM`);
    const now = this.now();
    if (window.start.getTime() > now.getTime())
      throw ApiError.badRequest(`Invalid month: ${month} has not started yet (UTC)`, 'date_in_future', 'month');
    if (window.end.getTime() <= now.getTime()) {
      const stored = await this.stored(merchant.id, month);
      if (stored.figures.length > 0) return renderRevenueReport(month, stored.asOf as Date, true, stored.figures);
    }
    const asOf = window.end.getTime() <= now.getTime() ? window.end : now;
    return renderRevenueReport(month, asOf, false, await this.compute([merchant.id], window, asOf));
  }

  /**
   * Computes and stores the month's figures of the next `batchSize` merchants with subscriptions (by id), replacing what a previous run stored.
   * @throws SubscriptionReportMonthError for a month that is invalid or not over (the activity fails the monthly run with it, not an API answer)
   */
  async storeBatch({ month, asOf, afterMerchantId = null, batchSize = 100, merchantIds }: RevenueBatchInput): Promise<RevenueBatchResult> {
    const window = periodWindow(month);
    if (!window) throw new SubscriptionReportMonthError(month, 'invalid');
    if (asOf.getTime() < window.end.getTime()) throw new SubscriptionReportMonthError(month, 'not_ended');
    const merchants = await inTransaction(this.deps.orm, (sql) =>
      new RevenueRepository(sql).merchantIdsWithSubscriptions(afterMerchantId ?? '', batchSize + 1, merchantIds),
    );
    const batch = merchants.slice(0, batchSize);
    const figures = batch.length > 0 ? await this.compute(batch, window, window.end) : [];
    await inTransaction(this.deps.orm, (sql) => new RevenueRepository(sql).replaceReports(batch, month, figures, window.end));
    return {
      merchantsScanned: batch.length,
      reportsStored: figures.length,
      lastMerchantId: batch.at(-1) ?? afterMerchantId,
      hasMore: merchants.length > batchSize,
    };
  }

  private stored(merchantId: string, month: string): Promise<{ asOf: Date | null; figures: RevenueFigures[] }> {
    return inTransaction(this.deps.orm, (sql) => new RevenueRepository(sql).storedReports(merchantId, month));
  }
}
