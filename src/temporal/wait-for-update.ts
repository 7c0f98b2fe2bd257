import type { Client, WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { isWorkflowGone, temporalUnavailable } from './temporal-errors';

/**
 * Runs an update that waits for a workflow's decision, giving up after `waitMs`. Undefined means
 * "not decided yet, or the workflow already closed": the caller answers from the database then.
 */
export async function executeUpdateWithin<T>(
  client: Client,
  handle: WorkflowHandle,
  update: UpdateDefinition<T, []>,
  waitMs: number,
): Promise<T | undefined> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), waitMs);
  try {
    return await client.withAbortSignal(controller.signal, () => handle.executeUpdate(update));
  } catch (error) {
    if (controller.signal.aborted || isWorkflowGone(error) || temporalUnavailable(error)) return undefined;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
