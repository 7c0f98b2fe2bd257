import { WorkflowNotFoundError, type Client } from '@temporalio/client';

/** A workflow's state as the daily check needs it: absent, running, or closed with its status. */
export type WorkflowPresence = { found: false } | { found: true; status: string };

/** Describes workflows by id through a Temporal client. */
export type DescribeWorkflow = (workflowId: string) => Promise<WorkflowPresence>;

/** A describer on a Temporal client: not found when the workflow never existed or its history is past retention. */
export function temporalDescriber(client: Client): DescribeWorkflow {
  return async (workflowId) => {
    try {
      // Without a run id: the latest run, so a workflow that continued as new reads as running.
      const description = await client.workflow.getHandle(workflowId).describe();
      return { found: true, status: description.status.name };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return { found: false };
      throw error;
    }
  };
}

/** Maps `items` through `work` with at most `limit` calls in flight, keeping their order. */
export async function mapConcurrently<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  });
  await Promise.all(lanes);
  return results;
}
