import { ServiceError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { ApiError } from '../shared/api-error';
import { isOperationFailureType, isPaymentFailureType, type OperationFailureType, type PaymentFailureType } from '../shared/failure-types';

// gRPC codes that mean "Temporal is not reachable right now", not "your request is wrong".
const UNREACHABLE_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/** The failure from the one map (failure-types.ts) that an update's validator or handler threw, if that is what this is. */
export function updateFailureType(error: unknown): { type: PaymentFailureType | OperationFailureType; details: unknown[] } | undefined {
  if (!(error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure)) return undefined;
  const { type } = error.cause;
  if (!isPaymentFailureType(type) && !isOperationFailureType(type)) return undefined;
  return { type, details: error.cause.details ?? [] };
}

/** True when the workflow has already closed (or never existed) so an update or query cannot reach it. */
export function isWorkflowGone(error: unknown): boolean {
  if (error instanceof WorkflowNotFoundError) return true;
  return error instanceof ServiceError && /already completed|not found/i.test(error.message);
}

/** Turns "cannot reach Temporal" into a 503 that tells the client to retry with its Idempotency-Key. */
export function temporalUnavailable(error: unknown): ApiError | undefined {
  const code = (error as { code?: number }).code ?? (error as { cause?: { code?: number } }).cause?.code;
  if (
    error instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
    (error instanceof ServiceError && code !== undefined && UNREACHABLE_CODES.has(code))
  ) {
    return ApiError.unavailable(
      'The payment engine is temporarily unavailable; retry the request with the same Idempotency-Key',
      'engine_unavailable',
    );
  }
  return undefined;
}
