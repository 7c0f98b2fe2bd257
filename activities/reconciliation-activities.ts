import { createHash } from 'node:crypto';
import { log } from '@temporalio/activity';
import type { Orm } from '../src/db/orm';
import { sqlFor } from '../src/db/sql';
import { sandboxSettlementReport } from '../src/gateways/sandbox/sandbox-settlement-report';
import { sandboxBankStatement } from '../src/payouts/sandbox-bank/sandbox-bank-statement';
import type { ReconciliationSummary } from '../src/reconciliation/reconcile';
import type { ReconciliationKind, ReconciliationSource, ReconciliationStatus } from '../src/reconciliation/reconciliation-record';
import { runReconciliation } from '../src/reconciliation/run-reconciliation';
import { parseSettlementCsv } from '../src/reconciliation/settlement-csv';
import { newId } from '../src/shared/ids';

export interface ReconciliationActivityDeps {
  orm: Orm;
}

export interface ReconcileSettlementInput {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  /** One per workflow run: a retried activity finds the run it stored instead of storing another. */
  runKey: string;
}

export interface ReconcileSettlementResult {
  reconciliationId: string;
  status: ReconciliationStatus;
  fileRows: number;
  summary: ReconciliationSummary;
}

/** A platform-wide daily run: whose report, of what kind, and the report itself. */
interface DailyReport {
  kind: ReconciliationKind;
  source: Exclude<ReconciliationSource, 'upload'>;
  /** The gateway, or for payouts the bank network, whose books wrote the report. */
  gateway: string;
  report: string;
}

async function reconcileDailyReport(
  orm: Orm,
  { day, runKey }: ReconcileSettlementInput,
  daily: DailyReport,
): Promise<ReconcileSettlementResult> {
  const { kind, source, gateway, report } = daily;
  // Through the same parser as merchants' uploads: the gateway's report must be a valid file too.
  const rows = parseSettlementCsv(report, { returns: kind === 'payouts' });
  const { run } = await runReconciliation(orm, {
    id: newId('rec'),
    merchantId: null,
    kind,
    source,
    gateway,
    periodStart: day,
    periodEnd: day,
    rows,
    fileSha256: createHash('sha256').update(report).digest('hex'),
    idempotencyKey: `${source}:${gateway}:${runKey}`,
  });
  if (run.status === 'discrepancies_found') {
    log.warn(`${kind} reconciliation found discrepancies`, { reconciliationId: run.id, gateway, day, ...run.summary });
  }
  return { reconciliationId: run.id, status: run.status, fileRows: run.fileRows, summary: run.summary };
}

export function createReconciliationActivities({ orm }: ReconciliationActivityDeps) {
  return {
    /**
     * Reconciles the sandbox gateway's settlement report for one UTC day against every merchant's
     * sandbox captures and refunds of that day, stores the platform-wide run, and logs a warning
     * with the counts when anything did not match.
     */
    async reconcileSandboxSettlement(input: ReconcileSettlementInput): Promise<ReconcileSettlementResult> {
      const report = await sandboxSettlementReport(sqlFor(orm.em.fork()), input.day);
      return reconcileDailyReport(orm, input, { kind: 'settlement', source: 'gateway_report', gateway: 'sandbox', report });
    },

    /**
     * Reconciles the sandbox bank's statement for one UTC day against every merchant's payouts
     * paid and returned over it that day, stores the platform-wide run, and logs a warning with
     * the counts when anything did not match.
     */
    async reconcileSandboxBankStatement(input: ReconcileSettlementInput): Promise<ReconcileSettlementResult> {
      const report = await sandboxBankStatement(sqlFor(orm.em.fork()), input.day);
      return reconcileDailyReport(orm, input, { kind: 'payouts', source: 'bank_statement', gateway: 'sandbox_bank', report });
    },
  };
}
