import { patched, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { scheduledTime } from './scheduled-time';

const { pruneIdempotencyKeys, pruneEvents, pruneExpiredFiles } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '10m' },
});

export interface DataRetentionInput {
  /** How long an Idempotency-Key answers a retry with its first result (IDEMPOTENCY_KEY_RETENTION). */
  idempotencyKeyRetentionMs: number;
  /** How long an event stays retrievable, with its webhook attempts (EVENT_RETENTION). Absent (a schedule written before it): events are kept. */
  eventRetentionMs?: number;
}

export interface DataRetentionResult {
  idempotencyKeysBefore: string;
  idempotencyKeysDeleted: number;
  /** Absent when events were not pruned (a run before the `prune-events` patch, or no EVENT_RETENTION in its input). */
  eventsBefore?: string;
  eventsDeleted?: number;
  /** Report files past their expires_at as of the run's slot, emptied (absent in a run before the `prune-expired-files` patch). */
  expiredFilesBefore?: string;
  expiredFilesDeleted?: number;
}

const BATCH = 5000;
// A report file is up to 1 GiB of chunks: few files per transaction keep each one short beside live traffic.
const FILE_BATCH = 20;

/** Calls `prune` with batches of `batch` until one comes back short, reporting progress; answers how many went. */
async function pruneInBatches(
  prune: (limit: number) => Promise<number>,
  progress: (deleted: number) => string,
  batch = BATCH,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const count = await prune(batch);
    deleted += count;
    setCurrentDetails(`**pruning**: ${progress(deleted)}`);
    if (count < batch) return deleted;
  }
}

/**
 * The daily clean-up of what is kept only for a while: Idempotency-Keys and events older than their
 * retention, and report files past their expiry, as of the run's own slot (a run caught up after an
 * outage deletes what was due then, no more).
 */
export async function dataRetentionWorkflow(input: DataRetentionInput): Promise<DataRetentionResult> {
  const slot = scheduledTime().getTime();
  const before = new Date(slot - input.idempotencyKeyRetentionMs).toISOString();
  const keys = (deleted: number) => `${deleted} Idempotency-Keys recorded before ${before} deleted`;
  const deleted = await pruneInBatches((limit) => pruneIdempotencyKeys({ createdBefore: before, limit }), keys);
  const result: DataRetentionResult = { idempotencyKeysBefore: before, idempotencyKeysDeleted: deleted };
  const done = [keys(deleted)];
  // Patch 'prune-events': runs recorded before events were pruned replay without this step.
  if (input.eventRetentionMs !== undefined && patched('prune-events')) {
    const eventsBefore = new Date(slot - input.eventRetentionMs).toISOString();
    const events = (count: number) => `${count} events created before ${eventsBefore} deleted`;
    result.eventsBefore = eventsBefore;
    result.eventsDeleted = await pruneInBatches(
      (limit) => pruneEvents({ createdBefore: eventsBefore, limit }),
      (count) => `${done.join('; ')}; ${events(count)}`,
    );
    done.push(events(result.eventsDeleted));
  }
  // Patch 'prune-expired-files': runs recorded before report files existed replay without this step.
  if (patched('prune-expired-files')) {
    const expiredBefore = new Date(slot).toISOString();
    const files = (count: number) => `${count} report files expired before ${expiredBefore} emptied`;
    result.expiredFilesBefore = expiredBefore;
    result.expiredFilesDeleted = await pruneInBatches(
      (limit) => pruneExpiredFiles({ expiredBefore, limit }),
      (count) => `${done.join('; ')}; ${files(count)}`,
      FILE_BATCH,
    );
    done.push(files(result.expiredFilesDeleted));
  }
  setCurrentDetails(`**done**: ${done.join('; ')}`);
  return result;
}
