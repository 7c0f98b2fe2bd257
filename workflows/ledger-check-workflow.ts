import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { LedgerCheckResult } from '../src/ledger/ledger-checks';
import { scheduledTime } from './scheduled-time';
import { operationFailure } from '../src/shared/failure-types';

const { runLedgerCheck } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '10m' },
});

/**
 * The daily proof that the books close. A failed proof fails the run, so the schedule shows it in
 * red in the Temporal UI; the findings are stored and listed at GET /v1/ledger/checks.
 */
export async function dailyLedgerCheckWorkflow(): Promise<LedgerCheckResult> {
  const info = workflowInfo();
  const result = await runLedgerCheck({ asOf: scheduledTime().toISOString(), runKey: `${info.workflowId}:${info.runId}` });
  const { summary } = result;
  setCurrentDetails(
    `**${result.balanced ? 'Balanced' : 'OUT OF BALANCE'}**: ${summary.accounts} accounts in ${summary.currencies} currencies, ` +
      `${summary.negative_available} merchants with a negative available balance`,
  );
  if (!result.balanced) {
    throw operationFailure(
      'LedgerOutOfBalance',
      `Ledger check ${result.id} failed: ${summary.account_mismatches} account mismatches, ${summary.unbalanced_entries} unbalanced entries, ${summary.balance_transaction_mismatches} balance transaction mismatches`,
      [result],
    );
  }
  return result;
}
