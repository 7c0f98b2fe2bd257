import { createHash } from 'node:crypto';
import { log } from '@temporalio/activity';
import type { Orm } from '../src/db/orm';
import { sqlFor } from '../src/db/sql';
import { sandboxSettlementReport } from '../src/gateways/sandbox/sandbox-settlement-report';
import type { ReconciliationSummary } from '../src/reconciliation/reconcile';
import type { ReconciliationStatus } from '../src/reconciliation/reconciliation-record';
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

export function createReconciliationActivities({ orm }: ReconciliationActivityDeps) {
  return {
    /**
     * Reconciles the sandbox gateway's settlement report for one UTC day against every merchant's
     * sandbox captures and refunds of that day, stores the platform-wide run, and logs a warning
     * with the counts when anything did not match.
     */
    async reconcileSandboxSettlement({ day, runKey }: ReconcileSettlementInput): Promise<ReconcileSettlementResult> {
      const report = await sandboxSettlementReport(sqlFor(orm.em.fork()), day);
      // Through the same parser as merchants' uploads: the gateway's report must be a valid file too.
      const rows = parseSettlementCsv(report);
      const { run } = await runReconciliation(orm, {
        id: newId('rec'),
        merchantId: null,
        source: 'gateway_report',
        gateway: 'sandbox',
        periodStart: day,
        periodEnd: day,
        rows,
        fileSha256: createHash('sha256').update(report).digest('hex'),
        idempotencyKey: `gateway_report:sandbox:${runKey}`,
      });
      if (run.status === 'discrepancies_found') {
        log.warn('settlement reconciliation found discrepancies', { reconciliationId: run.id, gateway: 'sandbox', day, ...run.summary });
      }
      return { reconciliationId: run.id, status: run.status, fileRows: run.fileRows, summary: run.summary };
    },
  };
}
