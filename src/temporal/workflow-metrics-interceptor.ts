// Runs inside the workflow sandbox (bundled with the workflows): imports nothing but @temporalio/workflow.
import {
  ApplicationFailure,
  isCancellation,
  proxySinks,
  TemporalFailure,
  type Sinks,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';

/** The sink the worker counts workflow failures through; only the worker process can reach a metric. */
export interface WorkflowMetricsSinks extends Sinks {
  workflowMetrics: { workflowFailed(failureType: string): void };
}

const { workflowMetrics } = proxySinks<WorkflowMetricsSinks>();

/** Reports each workflow execution that ends failed; sinks are not called on replay, so each is counted once. */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (error) {
          // Only a TemporalFailure fails the workflow (anything else fails the task, which is retried); cancellation is not a failure.
          if (error instanceof TemporalFailure && !isCancellation(error)) {
            workflowMetrics.workflowFailed(error instanceof ApplicationFailure ? (error.type ?? 'ApplicationFailure') : error.name);
          }
          throw error;
        }
      },
    },
  ],
});
