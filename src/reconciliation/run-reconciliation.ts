import { inTransaction } from '../db/sql';
import type { Orm } from '../db/orm';
import { recordEvent } from '../events/event-recorder';
import { hasDiscrepancies, reconcile } from './reconcile';
import type { ReconciliationKind, ReconciliationRecord, ReconciliationSource } from './reconciliation-record';
import { ReconciliationLedgerRepository } from './reconciliation-ledger-repository';
import { ReconciliationRepository } from './reconciliation-repository';
import type { SettlementRow } from './settlement-csv';
import { renderReconciliation } from './reconciliation-view';

export interface ReconciliationRequest {
  id: string;
  /** The merchant whose books are reconciled, or null for the whole platform. */
  merchantId: string | null;
  /** A gateway's settlement (captures and refunds) or a bank's statement (payouts paid and returned). */
  kind: ReconciliationKind;
  source: ReconciliationSource;
  /** Only this gateway's (for payouts, bank network's) entries; null for every one. */
  gateway: string | null;
  /** Only the payouts sent through this gateway account (a merchant's Stripe account); absent for every one. */
  gatewayAccountId?: string | null;
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
 * Classifies the file's rows against the ledger's items of the period (captures and refunds, or
 * payouts paid and returned, by the run's kind) and stores the run, its items and, for a
 * merchant, its events, on one snapshot in one transaction.
 * A run whose id or key was stored before is returned as it was.
 */
export async function runReconciliation(orm: Orm, request: ReconciliationRequest): Promise<ReconciliationOutcome> {
  return inTransaction(orm, async (sql) => {
    const reconciliations = new ReconciliationRepository(sql);
    const ledger = await new ReconciliationLedgerRepository(sql).ledgerItems(request.kind, request);
    const { items, summary } = reconcile(request.rows, ledger);
    const run = await reconciliations.insert(
      {
        id: request.id,
        merchantId: request.merchantId,
        kind: request.kind,
        source: request.source,
        gateway: request.gateway,
        gatewayAccountId: request.gatewayAccountId ?? null,
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
