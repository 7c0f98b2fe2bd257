import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SubscriptionCheckResult } from '../src/subscription-reports/subscription-check-service';
import { scheduledTime } from './scheduled-time';

const { runSubscriptionCheck } = proxyActivities<Activities>({
  startToCloseTimeout: '30m',
  // It heartbeats after every page of subscriptions: a lost worker is noticed within two minutes.
  heartbeatTimeout: '2m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 10 },
});

export interface SubscriptionCheckWorkflowInput {
  /** Only these merchants (ops checking one merchant); everyone when absent. */
  merchantIds?: string[];
}

/**
 * The daily subscription check: open invoices whose collection is late or has outrun dunning, and
 * live subscriptions whose workflow is missing, closed or late to bill. Findings are stored (GET
 * /v1/reports/subscription_checks) and logged as a warning; they do not fail the run.
 */
export async function dailySubscriptionCheckWorkflow(input: SubscriptionCheckWorkflowInput = {}): Promise<SubscriptionCheckResult> {
  const info = workflowInfo();
  const result = await runSubscriptionCheck({
    asOf: scheduledTime().toISOString(),
    runKey: `${info.workflowId}:${info.runId}`,
    merchantIds: input.merchantIds,
  });
  const { summary } = result;
  setCurrentDetails(
    `**${result.clean ? 'Clean' : 'FINDINGS'}** (check ${result.id}): ${summary.invoices_past_due} invoices past due; ` +
      `${summary.subscriptions_stuck} of ${summary.subscriptions_checked} subscriptions stuck (${summary.workflows_missing} workflows missing, ` +
      `${summary.workflows_closed} closed, ${summary.billing_overdue} late to bill)`,
  );
  return result;
}
