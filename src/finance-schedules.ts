import type { AppConfig } from './config';
import type { ScheduleDefinition } from './temporal/schedules';

/** The recurring finance jobs, kept in place as Temporal Schedules by every worker that starts. */
export function financeSchedules(config: Pick<AppConfig, 'ledger'>): ScheduleDefinition[] {
  return [
    {
      id: 'ledger-settlement',
      description: 'Moves captured funds from pending to available once their settlement day has come.',
      spec: { intervals: [{ every: config.ledger.settlementIntervalMs }] },
      workflowType: 'settlementWorkflow',
    },
  ];
}
