import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

const HISTORIES = path.join(__dirname, '..', 'replay', 'histories');

/** A workflow handle as both clients (the test stack's and the time-skipping environment's) give it. */
interface RecordableWorkflow {
  result(): Promise<unknown>;
  fetchHistory(): Promise<Parameters<typeof historyToJSON>[0]>;
}

/**
 * With RECORD_HISTORIES=1 (`npm run record:histories`), waits for the workflow to close and keeps its
 * whole history as test/replay/histories/<name>.json for the replay test; otherwise does nothing.
 */
export async function keepHistoryWhenRecording(handle: RecordableWorkflow, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  // A workflow that ended in failure has a history worth replaying too.
  await handle.result().catch(() => undefined);
  fs.writeFileSync(path.join(HISTORIES, `${name}.json`), `${historyToJSON(await handle.fetchHistory())}\n`);
}
