import { heartbeat, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Orm } from '../src/db/orm';
import { SubscriptionCheckService, type SubscriptionCheckResult } from '../src/subscription-reports/subscription-check-service';
import {
  SubscriptionReportMonthError,
  SubscriptionRevenueService,
  type RevenueBatchResult,
} from '../src/subscription-reports/revenue-service';
import { temporalDescriber } from '../src/subscription-reports/workflow-describer';
import { operationFailure } from '../src/shared/failure-types';

export interface SubscriptionReportActivityDeps {
  orm: Orm;
  /** Describes the subscription workflows for the daily check; workers pass one on their own connection. */
  temporal?: Client;
  /** The dunning retries in days (3, 5, 7): an invoice open a day past the last one is reported. */
  dunningRetryDays?: number[];
}

export interface RunSubscriptionCheckInput {
  asOf: string;
  runKey: string;
  merchantIds?: string[];
}

export interface StoreSubscriptionRevenueBatchInput {
  month: string;
  asOf: string;
  afterMerchantId: string | null;
  batchSize: number;
  merchantIds?: string[];
}

const DAY_MS = 24 * 3600 * 1000;

export function createSubscriptionReportActivities({ orm, temporal, dunningRetryDays }: SubscriptionReportActivityDeps) {
  const revenue = new SubscriptionRevenueService({ orm });
  const lastRetryDays = dunningRetryDays && dunningRetryDays.length > 0 ? Math.max(...dunningRetryDays) : 7;
  return {
    /**
     * The daily subscription check as of the run's scheduled time: past-due invoices and subscriptions
     * whose workflow is missing, closed or late. Stored under the run's key; a warning is logged when anything is found.
     */
    async runSubscriptionCheck({ asOf, runKey, merchantIds }: RunSubscriptionCheckInput): Promise<SubscriptionCheckResult> {
      if (!temporal) {
        throw operationFailure(
          'SubscriptionCheckWithoutTemporalClient',
          'This worker was built without a Temporal client to describe subscription workflows',
        );
      }
      const checks = new SubscriptionCheckService({
        orm,
        describe: temporalDescriber(temporal),
        dunningHorizonMs: (lastRetryDays + 1) * DAY_MS,
      });
      const result = await checks.run({ asOf: new Date(asOf), runKey, merchantIds, onProgress: (checked) => heartbeat(checked) });
      if (!result.clean)
        log.warn('subscription check found past-due invoices or stuck subscriptions', { checkId: result.id, asOf, ...result.summary });
      return result;
    },

    /** Computes and stores one batch of merchants' subscription figures for an ended month; a retry replaces what it stored. */
    async storeSubscriptionRevenueBatch({
      month,
      asOf,
      afterMerchantId,
      batchSize,
      merchantIds,
    }: StoreSubscriptionRevenueBatchInput): Promise<RevenueBatchResult> {
      try {
        return await revenue.storeBatch({ month, asOf: new Date(asOf), afterMerchantId, batchSize, merchantIds });
      } catch (error) {
        if (error instanceof SubscriptionReportMonthError) {
          throw operationFailure(
            error.reason === 'invalid' ? 'InvalidSubscriptionReportMonth' : 'SubscriptionReportMonthNotEnded',
            error.message,
          );
        }
        throw error;
      }
    },
  };
}
