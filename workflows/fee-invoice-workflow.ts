import { continueAsNew, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { isPeriod, previousPeriod } from '../src/billing/billing-period';
import { scheduledTime } from './scheduled-time';
import { operationFailure } from '../src/shared/failure-types';

const { issueFeeInvoiceBatch } = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5m' },
});

export interface FeeInvoiceRunInput {
  /** The month to invoice, YYYY-MM (UTC); defaults to the month before the run started. */
  period?: string;
  /** The instant the run issues as of (the date of issue; the month must be over by then); defaults to the run's start time. */
  asOf?: string;
  /** Merchants per activity, so no single activity runs long. */
  batchSize?: number;
  /** Only these merchants (ops re-running one merchant's invoice); everyone when absent. */
  merchantIds?: string[];
  /** Carried across continue-as-new. */
  afterMerchantId?: string | null;
  progress?: { batches: number; merchantsScanned: number; invoicesIssued: number };
}

export interface FeeInvoiceRunResult {
  period: string;
  asOf: string;
  batches: number;
  merchantsScanned: number;
  invoicesIssued: number;
}

/** Bounds the history: a million merchants in batches of 100 continue as new every 200 batches. */
const BATCHES_PER_RUN = 200;

/** Issues every merchant's fee invoice for one month, a batch of merchants per activity; a second run for the month issues nothing. */
export async function feeInvoiceRunWorkflow(input: FeeInvoiceRunInput = {}): Promise<FeeInvoiceRunResult> {
  const asOf = input.asOf ?? scheduledTime().toISOString();
  const period = input.period ?? previousPeriod(asOf);
  if (!isPeriod(period)) throw operationFailure('InvalidFeeInvoicePeriod', `Invalid period "${period}": use YYYY-MM`);
  const batchSize = input.batchSize ?? 100;
  const progress = { batches: 0, merchantsScanned: 0, invoicesIssued: 0, ...input.progress };
  let afterMerchantId = input.afterMerchantId ?? null;
  for (let run = 0; run < BATCHES_PER_RUN; run++) {
    const batch = await issueFeeInvoiceBatch({ period, asOf, afterMerchantId, batchSize, merchantIds: input.merchantIds });
    progress.batches += 1;
    progress.merchantsScanned += batch.merchantsScanned;
    progress.invoicesIssued += batch.invoicesIssued;
    afterMerchantId = batch.lastMerchantId;
    setCurrentDetails(`Fee invoices for **${period}**: ${progress.invoicesIssued} issued, ${progress.merchantsScanned} merchants scanned`);
    if (!batch.hasMore) return { period, asOf, ...progress };
  }
  return continueAsNew<typeof feeInvoiceRunWorkflow>({
    period,
    asOf,
    batchSize,
    merchantIds: input.merchantIds,
    afterMerchantId,
    progress,
  });
}
