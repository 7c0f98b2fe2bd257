import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';

const ScheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/**
 * When a scheduled run was due, not when it happened to start: a run caught up after an outage
 * still settles, checks or invoices as of its own slot. Outside a schedule, the start time.
 */
export function scheduledTime(): Date {
  const info = workflowInfo();
  return info.typedSearchAttributes.get(ScheduledStartTimeKey) ?? info.startTime;
}
