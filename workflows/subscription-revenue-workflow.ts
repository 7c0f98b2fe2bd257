import { continueAsNew, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { isPeriod, previousPeriod } from '../src/billing/billing-period';
import { scheduledTime } from './scheduled-time';
import { operationFailure } from '../src/shared/failure-types';

const { storeSubscriptionRevenueBatch } = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5m' },
});

export interface SubscriptionRevenueRunInput {
  /** The month, YYYY-MM (UTC); defaults to the month before the run's scheduled time. */
  month?: string;
  /** The run's instant; the month must have ended by then. Defaults to the scheduled time. */
  asOf?: string;
  /** Merchants per activity. */
  batchSize?: number;
  /** Only these merchants; every merchant with subscriptions when absent. */
  merchantIds?: string[];
  /** Carried across continue-as-new. */
  afterMerchantId?: string | null;
  progress?: { batches: number; merchantsScanned: number; reportsStored: number };
}

export interface SubscriptionRevenueRunResult {
  month: string;
  asOf: string;
  batches: number;
  merchantsScanned: number;
  reportsStored: number;
}

/** Bounds the history: continue as new every 200 batches. */
const BATCHES_PER_RUN = 200;

/** Stores every merchant's subscription figures (MRR, new, churned, invoices paid, failed, recovered) for one month, a batch of merchants per activity. */
export async function monthlySubscriptionRevenueWorkflow(input: SubscriptionRevenueRunInput = {}): Promise<SubscriptionRevenueRunResult> {
  const asOf = input.asOf ?? scheduledTime().toISOString();
  const month = input.month ?? previousPeriod(asOf);
  if (!isPeriod(month)) throw operationFailure('InvalidSubscriptionReportMonth', `Invalid month "${month}": use YYYY-MM`);
  const batchSize = input.batchSize ?? 100;
  const progress = { batches: 0, merchantsScanned: 0, reportsStored: 0, ...input.progress };
  let afterMerchantId = input.afterMerchantId ?? null;
  for (let run = 0; run < BATCHES_PER_RUN; run++) {
    const batch = await storeSubscriptionRevenueBatch({ month, asOf, afterMerchantId, batchSize, merchantIds: input.merchantIds });
    progress.batches += 1;
    progress.merchantsScanned += batch.merchantsScanned;
    progress.reportsStored += batch.reportsStored;
    afterMerchantId = batch.lastMerchantId;
    setCurrentDetails(
      `Subscription figures for **${month}**: ${progress.reportsStored} reports stored, ${progress.merchantsScanned} merchants scanned`,
    );
    if (!batch.hasMore) return { month, asOf, ...progress };
  }
  return continueAsNew<typeof monthlySubscriptionRevenueWorkflow>({
    month,
    asOf,
    batchSize,
    merchantIds: input.merchantIds,
    afterMerchantId,
    progress,
  });
}
