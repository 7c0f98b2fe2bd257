import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { scheduledTime } from './scheduled-time';

const { pruneIdempotencyKeys } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '10m' },
});

export interface DataRetentionInput {
  /** How long an Idempotency-Key answers a retry with its first result (IDEMPOTENCY_KEY_RETENTION). */
  idempotencyKeyRetentionMs: number;
}

export interface DataRetentionResult {
  idempotencyKeysBefore: string;
  idempotencyKeysDeleted: number;
}

const BATCH = 5000;

/**
 * The daily clean-up of what is kept only for a while: Idempotency-Keys older than their retention,
 * as of the run's own slot (a run caught up after an outage deletes what was due then, no more).
 */
export async function dataRetentionWorkflow(input: DataRetentionInput): Promise<DataRetentionResult> {
  const before = new Date(scheduledTime().getTime() - input.idempotencyKeyRetentionMs).toISOString();
  let deleted = 0;
  for (;;) {
    const batch = await pruneIdempotencyKeys({ createdBefore: before, limit: BATCH });
    deleted += batch;
    setCurrentDetails(`**pruning**: ${deleted} Idempotency-Keys recorded before ${before} deleted`);
    if (batch < BATCH) break;
  }
  setCurrentDetails(`**done**: ${deleted} Idempotency-Keys recorded before ${before} deleted`);
  return { idempotencyKeysBefore: before, idempotencyKeysDeleted: deleted };
}
