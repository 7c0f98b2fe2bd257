import { proxyActivities } from '@temporalio/workflow';

export * from '../workflows';

const { benchNoop } = proxyActivities<{ benchNoop(): Promise<void> }>({ startToCloseTimeout: '10s' });

/** The orchestration a payment needs with none of its work: N no-op activities in a row (B(N) of the benchmark). */
export async function benchEmptyWorkflow(activityCount: number): Promise<void> {
  for (let i = 0; i < activityCount; i++) await benchNoop();
}
