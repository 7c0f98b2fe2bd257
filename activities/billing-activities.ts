import { FeeInvoicePeriodError, FeeInvoiceService } from '../src/billing/fee-invoice-service';
import type { Orm } from '../src/db/orm';
import type { FeeSchedule } from '../src/payments/payment-state';
import { operationFailure } from '../src/shared/failure-types';

export interface BillingActivityDeps {
  orm: Orm;
  /**
   * The platform's default pricing, for merchants without their own (the worker passes its config).
   * It only labels lines: every amount on an invoice comes from the ledger.
   */
  defaultFees?: FeeSchedule;
}

// FEE_PERCENT_BPS and FEE_FIXED_MINOR's defaults, for workers built without a config (workflow tests).
const PLATFORM_DEFAULT_FEES: FeeSchedule = { percentBps: 290, fixedMinor: 30 };

export interface IssueFeeInvoiceBatchInput {
  period: string;
  /** The run's instant (its start time): every retry issues as of the same moment. */
  asOf: string;
  afterMerchantId: string | null;
  batchSize: number;
  merchantIds?: string[];
}

export interface IssueFeeInvoiceBatchResult {
  merchantsScanned: number;
  invoicesIssued: number;
  lastMerchantId: string | null;
  hasMore: boolean;
}

export function createBillingActivities({ orm, defaultFees = PLATFORM_DEFAULT_FEES }: BillingActivityDeps) {
  const invoices = new FeeInvoiceService({ orm, defaultFees });
  return {
    /** Issues the fee invoices of one batch of merchants; a retried batch finds its invoices issued and adds nothing. */
    async issueFeeInvoiceBatch({
      period,
      asOf,
      afterMerchantId,
      batchSize,
      merchantIds,
    }: IssueFeeInvoiceBatchInput): Promise<IssueFeeInvoiceBatchResult> {
      try {
        const batch = await invoices.issueFeeInvoiceBatch({ period, asOf: new Date(asOf), afterMerchantId, batchSize, merchantIds });
        return {
          merchantsScanned: batch.merchantsScanned,
          invoicesIssued: batch.issued.length,
          lastMerchantId: batch.lastMerchantId,
          hasMore: batch.hasMore,
        };
      } catch (error) {
        if (error instanceof FeeInvoicePeriodError) {
          throw operationFailure(error.reason === 'invalid' ? 'InvalidFeeInvoicePeriod' : 'FeeInvoicePeriodNotEnded', error.message);
        }
        throw error;
      }
    },
  };
}
