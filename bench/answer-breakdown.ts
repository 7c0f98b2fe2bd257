import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { round } from './load';

/**
 * Where a payment's synchronous answer spends its time, read from the workflow histories of the
 * half-peak run: the API's work before the workflow starts, each workflow task and activity split into
 * its wait in the task queue and its run, and the last stretch from the final step to the HTTP answer.
 * The bench and the engine share one host clock, so the request's own timestamps line up with the history's.
 */

export interface AnswerTrace {
  workflowId: string;
  /** Epoch milliseconds when the request was sent and when its answer arrived. */
  sentAt: number;
  answeredAt: number;
}

export interface AnswerBreakdown {
  /** How many histories were read, and which share counts as the slow tail. */
  traces: number;
  tail: string;
  /** Per stretch: the median over every answer, and the mean over the slowest answers. */
  stretches: Array<{ stretch: string; medianMs: number; slowestMeanMs: number }>;
  /** The answer's own time for the same two groups, for scale. */
  answer: { medianMs: number; slowestMeanMs: number };
}

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const TAIL_SHARE = 0.05;

function epochMs(event: HistoryEvent): number {
  const time = event.eventTime;
  return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
}

/** The name of the step an event ends, in order: `workflow task 2 wait`, `activity authorize run`. */
function stretchNames(events: HistoryEvent[]): Array<{ at: number; ends: string }> {
  const points: Array<{ at: number; ends: string }> = [];
  let workflowTask = 0;
  const activityNames = new Map<string, string>();
  for (const event of events) {
    const at = epochMs(event);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        points.push({ at, ends: 'API, until the workflow started' });
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        workflowTask += 1;
        points.push({ at, ends: `until workflow task ${workflowTask} was scheduled` });
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        points.push({ at, ends: `workflow task ${workflowTask}: waiting for a worker` });
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        points.push({ at, ends: `workflow task ${workflowTask}: run (local activities, commands)` });
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const name = event.activityTaskScheduledEventAttributes?.activityType?.name ?? 'activity';
        activityNames.set(String(event.eventId), name);
        points.push({ at, ends: `until activity ${name} was scheduled` });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const name = activityNames.get(String(event.activityTaskStartedEventAttributes?.scheduledEventId)) ?? 'activity';
        points.push({ at, ends: `activity ${name}: waiting for a worker` });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const name = activityNames.get(String(event.activityTaskCompletedEventAttributes?.scheduledEventId)) ?? 'activity';
        points.push({ at, ends: `activity ${name}: run` });
        break;
      }
      default:
        break;
    }
  }
  return points;
}

/**
 * One answer cut into its stretches: each ends at a history event, up to the start of the last task (workflow or
 * activity) the answer waited on; from that start to the answer is one stretch, whether the task completed
 * before the answer or after it (the payment answers from inside its recording step).
 */
function stretchesOf(trace: AnswerTrace, events: HistoryEvent[]): Map<string, number> {
  const points = stretchNames(events).filter((point) => point.at <= trace.answeredAt);
  let lastStart = -1;
  points.forEach((point, index) => {
    if (point.ends.endsWith(': waiting for a worker')) lastStart = index;
  });
  const stretches = new Map<string, number>();
  let from = trace.sentAt;
  for (const point of lastStart >= 0 ? points.slice(0, lastStart + 1) : points) {
    stretches.set(point.ends, (stretches.get(point.ends) ?? 0) + Math.max(0, point.at - from));
    from = Math.max(from, point.at);
  }
  const task = lastStart >= 0 ? points[lastStart].ends.replace(': waiting for a worker', '') : 'the last step';
  stretches.set(`${task}: from its start to the HTTP answer`, trace.answeredAt - from);
  return stretches;
}

const median = (values: number[]) => (values.length === 0 ? 0 : [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]);
const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);

/** Reads every traced payment's history and splits its answer time; the slowest TAIL_SHARE are averaged apart. */
export async function answerBreakdown(client: Client, traces: AnswerTrace[]): Promise<AnswerBreakdown> {
  const cut: Array<{ answerMs: number; stretches: Map<string, number> }> = [];
  for (const trace of traces) {
    const history = await client.workflow.getHandle(trace.workflowId).fetchHistory();
    cut.push({ answerMs: trace.answeredAt - trace.sentAt, stretches: stretchesOf(trace, history.events ?? []) });
  }
  const bySpeed = [...cut].sort((a, b) => a.answerMs - b.answerMs);
  const slowest = bySpeed.slice(Math.floor(bySpeed.length * (1 - TAIL_SHARE)));
  // Stretches in the order a payment meets them; one missing from an answer (a shorter history) counts as 0 there.
  const names: string[] = [];
  for (const one of cut) for (const name of one.stretches.keys()) if (!names.includes(name)) names.push(name);
  const values = (group: typeof cut, name: string) => group.map((one) => one.stretches.get(name) ?? 0);
  return {
    traces: cut.length,
    tail: `the slowest ${Math.round(TAIL_SHARE * 100)} % (${slowest.length})`,
    stretches: names.map((stretch) => ({
      stretch,
      medianMs: round(median(values(cut, stretch))),
      slowestMeanMs: round(mean(values(slowest, stretch))),
    })),
    answer: { medianMs: round(median(cut.map((one) => one.answerMs))), slowestMeanMs: round(mean(slowest.map((one) => one.answerMs))) },
  };
}

/** The breakdown as the bench prints it. */
export function formatAnswerBreakdown(breakdown: AnswerBreakdown): string {
  const lines = [
    `Where the half-peak answer's time goes (${breakdown.traces} payments' histories; ms, median of all / mean of ${breakdown.tail}):`,
  ];
  for (const { stretch, medianMs, slowestMeanMs } of breakdown.stretches) lines.push(`  ${stretch}: ${medianMs} / ${slowestMeanMs}`);
  lines.push(`  the answer: ${breakdown.answer.medianMs} / ${breakdown.answer.slowestMeanMs}`);
  return lines.join('\n');
}
