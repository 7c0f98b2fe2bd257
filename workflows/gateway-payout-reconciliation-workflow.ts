import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { GatewayPayoutsReconciliation } from '../activities/reconciliation-activities';
import { operationFailure } from '../src/shared/failure-types';
import { isIsoDay, utcDayBefore } from '../src/shared/utc-days';
import { scheduledTime } from './scheduled-time';

const { reconcileGatewayPayouts } = proxyActivities<Activities>({
  // Every account's payouts are listed at the gateway, one account after another.
  startToCloseTimeout: '30m',
  // A gateway or database outage may well be over by the tenth try; runs already stored are found again by their keys.
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 10 },
});

export interface GatewayPayoutReconciliationInput {
  /** The UTC day to reconcile, YYYY-MM-DD; by default the day before the run's slot. */
  day?: string;
  /** Only this gateway account (a re-run for one merchant); by default every account that paid out lately. */
  gatewayAccount?: string;
  /** Only these gateway accounts (with gatewayAccount, all of them). */
  gatewayAccounts?: string[];
}

export interface GatewayPayoutReconciliationResult extends GatewayPayoutsReconciliation {
  day: string;
}

/**
 * Reconciles the payouts merchants sent through their Stripe accounts, one UTC day at a time: each
 * account's payouts as Stripe lists them against that merchant's ledger, one run per account, which the
 * merchant sees at GET /v1/reconciliations and is told of by reconciliation.* events.
 */
export async function dailyGatewayPayoutReconciliationWorkflow(
  input: GatewayPayoutReconciliationInput = {},
): Promise<GatewayPayoutReconciliationResult> {
  const info = workflowInfo();
  const day = input.day ?? utcDayBefore(scheduledTime());
  if (!isIsoDay(day)) throw operationFailure('InvalidReconciliationDay', 'day must be a date written YYYY-MM-DD');
  const result = await reconcileGatewayPayouts({
    day,
    runKey: `${info.workflowId}:${info.runId}`,
    network: 'stripe',
    ...(input.gatewayAccount || input.gatewayAccounts
      ? { gatewayAccountIds: [...(input.gatewayAccount ? [input.gatewayAccount] : []), ...(input.gatewayAccounts ?? [])] }
      : {}),
  });
  const flagged = result.runs.filter((run) => run.status === 'discrepancies_found');
  setCurrentDetails(
    `Stripe payouts of **${day}**: ${result.runs.length} account(s) reconciled, ` +
      `${flagged.length ? `**${flagged.length} with DISCREPANCIES** (${flagged.map((run) => run.reconciliationId).join(', ')})` : 'none with discrepancies'}` +
      (result.unreadable.length
        ? `; **${result.unreadable.length} unreadable** (${result.unreadable.map((a) => a.gatewayAccountId).join(', ')})`
        : ''),
  );
  return { day, ...result };
}
