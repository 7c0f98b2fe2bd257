import { inTransaction } from '../db/sql';
import type { Orm } from '../db/orm';
import { recordEvent } from '../events/event-recorder';
import { hasDiscrepancies, reconcile } from './reconcile';
import type { ReconciliationRecord, ReconciliationSource } from './reconciliation-record';
import { ReconciliationRepository } from './reconciliation-repository';
import type { SettlementRow } from './settlement-csv';
import { renderReconciliation } from './reconciliation-view';

export interface ReconciliationRequest {
  id: string;
  /** The merchant whose books are reconciled, or null for the whole platform. */
  merchantId: string | null;
  source: ReconciliationSource;
  /** Only this gateway's entries; null for every gateway. */
  gateway: string | null;
  periodStart: string;
  periodEnd: string;
  rows: SettlementRow[];
  fileSha256: string;
  /** Makes a retried run (an activity retry) find the first one instead of storing a second. */
  idempotencyKey?: string;
}

export interface ReconciliationOutcome {
  run: ReconciliationRecord;
  /** False when the run existed already and nothing was written. */
  created: boolean;
}

/**
 * Classifies the settlement rows against the ledger's captures and refunds of the period and
 * stores the run, its items and, for a merchant, its events, on one snapshot in one transaction.
 * A run whose id or key was stored before is returned as it was.
 */
export async function runReconciliation(orm: Orm, request: ReconciliationRequest): Promise<ReconciliationOutcome> {
  return inTransaction(orm, async (sql) => {
    const reconciliations = new ReconciliationRepository(sql);
    const ledger = await reconciliations.ledgerSettlementItems(request);
    const { items, summary } = reconcile(request.rows, ledger);
    const run = await reconciliations.insert(
      {
        id: request.id,
        merchantId: request.merchantId,
        source: request.source,
        gateway: request.gateway,
        status: hasDiscrepancies(summary) ? 'discrepancies_found' : 'reconciled',
        periodStart: request.periodStart,
        periodEnd: request.periodEnd,
        fileSha256: request.fileSha256,
        fileRows: request.rows.length,
        summary,
        idempotencyKey: request.idempotencyKey ?? null,
      },
      items,
    );
    if (!run) {
      const earlier = await reconciliations.findStored({ id: request.id, idempotencyKey: request.idempotencyKey ?? null });
      if (!earlier) throw new Error(`Reconciliation ${request.id} conflicted with a run that cannot be found`);
      return { run: earlier, created: false };
    }
    if (run.merchantId) {
      // Events carry the run without its items: a webhook stays small however long the file was.
      const object = { ...renderReconciliation(run) };
      const event = { merchantId: run.merchantId, objectType: 'reconciliation', objectId: run.id, object };
      await recordEvent(sql, { ...event, type: 'reconciliation.completed', idempotencyKey: `reconciliation:${run.id}:completed` });
      if (run.status === 'discrepancies_found') {
        await recordEvent(sql, {
          ...event,
          type: 'reconciliation.discrepancies_found',
          idempotencyKey: `reconciliation:${run.id}:discrepancies_found`,
        });
      }
    }
    return { run, created: true };
  });
}
