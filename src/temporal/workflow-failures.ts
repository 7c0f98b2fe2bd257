import { ApiError } from '../shared/api-error';
import type { OperationFailureType, PaymentFailureType } from '../shared/failure-types';
import { isWorkflowGone, temporalUnavailable, updateFailureType } from './temporal-errors';

/** What a workflow reported when it refused or failed a command. */
export interface WorkflowFailure {
  type: PaymentFailureType | OperationFailureType | 'WorkflowGone';
  message: string;
  details: unknown[];
}

export type FailureAnswer = (failure: WorkflowFailure) => ApiError | Promise<ApiError>;

/**
 * One per service: the failure types its workflow's updates throw, as the API answers them.
 * `WorkflowGone` answers a command sent to a workflow that has already closed.
 */
export type FailureTable = Partial<Record<WorkflowFailure['type'], FailureAnswer>>;

/**
 * Sends a command (an update) to a workflow and answers a refusal from the service's table; a
 * Temporal that cannot be reached becomes 503 `engine_unavailable`. Anything else is a bug and rethrown.
 */
export async function sendCommand<T>(failures: FailureTable, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const failure = updateFailureType(error);
    if (failure) {
      const answer = failures[failure.type];
      const message = (error as { cause?: { message?: string } }).cause?.message ?? failure.type;
      if (answer) throw await answer({ type: failure.type, message, details: failure.details });
    } else if (isWorkflowGone(error) && failures.WorkflowGone) {
      throw await failures.WorkflowGone({ type: 'WorkflowGone', message: 'The workflow has closed', details: [] });
    }
    throw temporalUnavailable(error) ?? error;
  }
}

export interface StateConflict {
  /** The error codes are `<resource>_operation_in_progress` and `<resource>_unexpected_state`. */
  resource: 'payment' | 'dispute';
  /** The status on record now. */
  status: string;
  /** The status the command needs. */
  needs: string;
  /** What "another" command is, in words: "capture, cancel or review", "change". */
  operations: string;
}

/**
 * The answer to a command its workflow refused for its state. When the record still shows the
 * status the command needs, another command (often this same request, resent after a lost answer)
 * is being carried out: 409 `*_operation_in_progress`, retrieve the object for its outcome.
 * Otherwise the object has moved on: 409 `*_unexpected_state`.
 */
export function stateConflict({ resource, status, needs, operations }: StateConflict): ApiError {
  if (status === needs) {
    return new ApiError(
      409,
      `Another ${operations} is in progress on this ${resource}; retrieve the ${resource} for its outcome.`,
      `${resource}_operation_in_progress`,
      undefined,
      { status },
    );
  }
  return new ApiError(
    409,
    `This ${resource}'s status is ${status}; the operation needs status ${needs}.`,
    `${resource}_unexpected_state`,
    undefined,
    { status },
  );
}
