import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { PaymentStatusKey } from '../src/temporal/search-attributes';

export * from '../workflows';

const { benchNoop } = proxyActivities<{ benchNoop(): Promise<void> }>({ startToCloseTimeout: '10s' });

/**
 * The orchestration a payment needs with none of its work: N no-op activities in a row (B(N) of
 * the benchmark); with `upsertStatus`, also the one status upsert a payment makes for ops.
 */
export async function benchEmptyWorkflow(activityCount: number, upsertStatus = false): Promise<void> {
  for (let i = 0; i < activityCount; i++) await benchNoop();
  if (upsertStatus) upsertSearchAttributes([{ key: PaymentStatusKey, value: 'succeeded' }]);
}
