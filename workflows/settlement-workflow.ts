import { continueAsNew, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import { scheduledTime } from './scheduled-time';
import type { Activities } from '../activities';

const { settleDueFunds } = proxyActivities<Activities>({
  // One batch is one short transaction (500 rows at most). The timeout is also how long a batch taken by a
  // worker that died waits before another worker retries it, and the schedule skips every run meanwhile:
  // at 2 minutes a chaos run's balances stayed pending through its whole load.
  startToCloseTimeout: '30s',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5m' },
});

export interface SettlementRunInput {
  /** Settle what is due at this instant; a scheduled run uses its own start time. */
  asOf?: string;
  /** Only these merchants (ops settling one early); everyone when absent. */
  merchantIds?: string[];
  settledSoFar?: number;
}

export interface SettlementRunResult {
  asOf: string;
  settled: number;
}

/** Bounds the history: a backlog of a million charges continues as new every 200 batches. */
const BATCHES_PER_RUN = 200;

/** Moves every charge whose available_on has come from pending to available, in batches. */
export async function settlementWorkflow(input: SettlementRunInput = {}): Promise<SettlementRunResult> {
  const asOf = input.asOf ?? scheduledTime().toISOString();
  let settled = input.settledSoFar ?? 0;
  for (let batch = 0; batch < BATCHES_PER_RUN; batch++) {
    const result = await settleDueFunds({ asOf, batchSize: 500, merchantIds: input.merchantIds });
    settled += result.settled;
    setCurrentDetails(`Settling funds available by **${asOf}**: ${settled} transactions so far`);
    if (!result.hasMore) return { asOf, settled };
  }
  return continueAsNew<typeof settlementWorkflow>({ asOf, merchantIds: input.merchantIds, settledSoFar: settled });
}
