import type { Orm } from '../src/db/orm';
import { settleDueFunds, type SettlementBatchResult } from '../src/ledger/settlement';

export interface LedgerActivityDeps {
  orm: Orm;
}

export function createLedgerActivities({ orm }: LedgerActivityDeps) {
  return {
    /** One batch of settlement as of the given instant (the scheduled run's time, so a retry settles the same cut-off). */
    async settleDueFunds({ asOf, batchSize }: { asOf: string; batchSize?: number }): Promise<SettlementBatchResult> {
      return settleDueFunds(orm, { asOf: new Date(asOf), batchSize });
    },
  };
}
