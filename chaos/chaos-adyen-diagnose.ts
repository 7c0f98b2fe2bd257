import { Client, Connection } from '@temporalio/client';
import type { PayloadKey } from '../src/temporal/payload-keys';
import { temporalDataConverter } from '../src/temporal/data-converter';

/**
 * For payments still undecided after the heal: where each payment workflow stands (its pending
 * activities with their attempt and last failure, and its last events), so a reader can tell why.
 */
export async function describeStuckPayments(address: string, payloadKeys: PayloadKey[], paymentIds: string[]): Promise<string[]> {
  if (paymentIds.length === 0) return [];
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, dataConverter: temporalDataConverter(payloadKeys) });
    const stories: string[] = [];
    for (const id of paymentIds.slice(0, 6)) {
      try {
        const handle = client.workflow.getHandle(`payment-${id}`);
        const described = await handle.describe();
        const pending = (described.raw.pendingActivities ?? []).map(
          (activity) => `${activity.activityType?.name} attempt ${activity.attempt} (${activity.lastFailure?.message ?? 'no failure'})`,
        );
        const history = await handle.fetchHistory();
        const last = (history.events ?? []).slice(-6).map((event) => {
          const failed = event.activityTaskFailedEventAttributes?.failure ?? event.workflowTaskFailedEventAttributes?.failure;
          return `${String(event.eventType).replace('EVENT_TYPE_', '')}${failed ? ` (${failed.message})` : ''}`;
        });
        stories.push(`${id}: workflow ${described.status.name}; pending ${pending.join(', ') || 'none'}; last events ${last.join(' → ')}`);
      } catch (error) {
        stories.push(`${id}: could not describe its workflow: ${(error as Error).message}`);
      }
    }
    return stories;
  } finally {
    await connection.close();
  }
}
