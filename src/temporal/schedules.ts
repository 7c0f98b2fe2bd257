import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleSpec } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Logger } from '../logger';

/** A recurring job run as a Temporal Schedule: one workflow type started on a calendar or interval. */
export interface ScheduleDefinition {
  /** Readable and stable: ops find it under this name in the UI's Schedules page. */
  id: string;
  description: string;
  spec: ScheduleSpec;
  /** The workflow function each run starts (its name is the workflow type). */
  workflow: Workflow;
  args?: unknown[];
}

export interface EnsureSchedulesOptions {
  client: Client;
  taskQueue: string;
  definitions: ScheduleDefinition[];
  /** Prepended to every schedule and workflow ID, so test suites on their own task queues never share one. */
  idPrefix?: string;
  logger?: Logger;
}

/**
 * Creates each schedule, or brings an existing one to the current definition: every worker start
 * may call this, and N workers starting together leave exactly one schedule per definition.
 * Overlapping runs are skipped (a slow settlement never runs twice at once) and a run missed
 * while the cluster was down is caught up within a day.
 */
export async function ensureSchedules({
  client,
  taskQueue,
  definitions,
  idPrefix = '',
  logger,
}: EnsureSchedulesOptions): Promise<string[]> {
  const ids: string[] = [];
  for (const definition of definitions) {
    const scheduleId = `${idPrefix}${definition.id}`;
    const action = {
      type: 'startWorkflow' as const,
      workflowType: definition.workflow,
      args: definition.args ?? [],
      taskQueue,
      workflowId: scheduleId,
    };
    const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' as const };
    try {
      await client.schedule.create({ scheduleId, spec: definition.spec, action, policies, state: { note: definition.description } });
      logger?.info({ scheduleId }, 'schedule created');
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec: definition.spec, action, policies }));
    }
    ids.push(scheduleId);
  }
  return ids;
}
