import type { Orm } from '../src/db/orm';
import { settleDueFunds, type SettlementBatchResult } from '../src/ledger/settlement';
import { LedgerCheckService, type LedgerCheckResult } from '../src/ledger/ledger-checks';

export interface LedgerActivityDeps {
  orm: Orm;
}

export function createLedgerActivities({ orm }: LedgerActivityDeps) {
  const checks = new LedgerCheckService({ orm });
  return {
    /** One batch of settlement as of the given instant (the scheduled run's time, so a retry settles the same cut-off). */
    async settleDueFunds({
      asOf,
      batchSize,
      merchantIds,
    }: {
      asOf: string;
      batchSize?: number;
      merchantIds?: string[];
    }): Promise<SettlementBatchResult> {
      return settleDueFunds(orm, { asOf: new Date(asOf), batchSize, merchantIds });
    },

    /** The trial balance on one snapshot, recorded under the run's key. */
    async runLedgerCheck({ asOf, runKey }: { asOf: string; runKey: string }): Promise<LedgerCheckResult> {
      return checks.run(new Date(asOf), runKey);
    },
  };
}
