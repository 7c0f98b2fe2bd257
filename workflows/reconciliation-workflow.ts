import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReconcileSettlementResult } from '../activities/reconciliation-activities';
import { isIsoDay, utcDayBefore } from '../src/shared/utc-days';
import { scheduledTime } from './scheduled-time';
import { operationFailure } from '../src/shared/failure-types';

const { reconcileSandboxSettlement, reconcileSandboxBankStatement } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  // A report that cannot be read will not read on the tenth try either; a database outage may well be over by then.
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 10 },
});

/** The daily reports reconciled against the ledger: the sandbox gateway's settlement, the sandbox bank's payout statement. */
export const DAILY_RECONCILIATION_REPORTS = {
  sandbox_settlement: { title: 'Sandbox settlement', reconcile: reconcileSandboxSettlement },
  sandbox_bank_statement: { title: 'Sandbox bank statement', reconcile: reconcileSandboxBankStatement },
} as const;
export type DailyReconciliationReport = keyof typeof DAILY_RECONCILIATION_REPORTS;

export interface DailyReconciliationInput {
  /** The UTC day to reconcile, YYYY-MM-DD; by default the day before the run started. */
  day?: string;
  /** Which report; the sandbox gateway's settlement by default. */
  report?: DailyReconciliationReport;
}

export interface DailyReconciliationResult extends ReconcileSettlementResult {
  day: string;
}

/** Reconciles one daily report (the sandbox gateway's settlement by default) for one UTC day against the whole platform's ledger. */
export async function dailyReconciliationWorkflow(input: DailyReconciliationInput = {}): Promise<DailyReconciliationResult> {
  const info = workflowInfo();
  const day = input.day ?? utcDayBefore(scheduledTime());
  if (!isIsoDay(day)) throw operationFailure('InvalidReconciliationDay', 'day must be a date written YYYY-MM-DD');
  const name = input.report ?? 'sandbox_settlement';
  if (!Object.hasOwn(DAILY_RECONCILIATION_REPORTS, name))
    throw operationFailure('InvalidReconciliationReport', `report must be one of ${Object.keys(DAILY_RECONCILIATION_REPORTS).join(', ')}`);
  const report = DAILY_RECONCILIATION_REPORTS[name];
  const result = await report.reconcile({ day, runKey: `${info.workflowId}:${info.runId}` });
  const { summary } = result;
  setCurrentDetails(
    `${report.title} of **${day}**: ${result.status === 'reconciled' ? 'reconciled' : 'DISCREPANCIES'}: ${summary.matched} matched, ` +
      `${summary.amount_mismatch} amount mismatches, ${summary.missing_in_ledger} missing in the ledger, ${summary.missing_in_settlement} missing in the settlement ` +
      `(reconciliation ${result.reconciliationId})`,
  );
  return { day, ...result };
}
