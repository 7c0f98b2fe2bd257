import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, type SearchAttributePair } from '@temporalio/common';
import { temporalUnavailable } from './temporal-errors';

/** A workflow of ours: one input object in, one result out. */
export type EntityWorkflow<Input = any, Result = any> = (input: Input) => Promise<Result>;

export interface EntityStart<W extends EntityWorkflow> {
  /** The business key (`payment-<id>`, ...): a repeated request names the same workflow. */
  workflowId: string;
  taskQueue: string;
  input: Parameters<W>[0];
  searchAttributes: SearchAttributePair[];
  /** One line for the Temporal UI's list. */
  summary: string;
  /** More for the workflow's own page. */
  details?: string;
}

export interface EntityStarted<W extends EntityWorkflow> {
  handle: WorkflowHandle<W>;
  /** The workflow had already finished: nothing was started, and its result (or the stored record) is the answer. */
  closed: boolean;
}

/**
 * Starts the entity's workflow, or joins it when the same id is running: a retried request never
 * starts a second one, and a finished one is never started again (`closed` says so). A Temporal
 * that cannot be reached becomes the API's 503 `engine_unavailable`.
 */
export async function startOrJoin<W extends EntityWorkflow>(client: Client, workflow: W, start: EntityStart<W>): Promise<EntityStarted<W>> {
  try {
    const handle = await client.workflow.start(workflow, {
      workflowId: start.workflowId,
      taskQueue: start.taskQueue,
      args: [start.input] as Parameters<W>,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: start.searchAttributes,
      staticSummary: start.summary,
      ...(start.details === undefined ? {} : { staticDetails: start.details }),
    });
    return { handle, closed: false };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError)
      return { handle: client.workflow.getHandle<W>(start.workflowId), closed: true };
    throw temporalUnavailable(error) ?? error;
  }
}
