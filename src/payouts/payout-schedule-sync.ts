import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { automaticPayoutWorkflow } from '../../workflows/automatic-payout-workflow';
import { MerchantIdKey } from '../temporal/search-attributes';
import { payoutCalendars } from './payout-schedule-calendar';
import type { PayoutScheduleRecord } from './payout-schedule-record';
import { payoutScheduleId } from './payout-state';

export interface PayoutScheduleTemporal {
  client: Client;
  /** Where the scheduled runs (and the payouts they start) are worked. */
  taskQueue: string;
}

/** What the Temporal UI shows beside the schedule: ops' reason while paused. */
function noteFor(settings: PayoutScheduleRecord): string {
  if (settings.paused) return `Payouts paused by ops: ${settings.pausedReason ?? 'no reason given'}`;
  return `Automatic payouts of ${settings.merchantId} (${settings.interval}, delay ${settings.delayDays} days)`;
}

/**
 * Brings the merchant's Temporal Schedule `payouts-<merchant>` to what its settings say: none for
 * manual, otherwise the settings' calendar, paused (with ops' note) while payouts are paused.
 * Idempotent, so a request retried after an outage simply brings it in line again.
 */
export async function syncPayoutSchedule({ client, taskQueue }: PayoutScheduleTemporal, settings: PayoutScheduleRecord): Promise<void> {
  const scheduleId = payoutScheduleId(settings.merchantId);
  const handle = client.schedule.getHandle(scheduleId);
  if (settings.interval === 'manual') {
    await handle.delete().catch((error: unknown) => {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    });
    return;
  }
  const spec = { calendars: payoutCalendars(settings) };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: automaticPayoutWorkflow,
    args: [{ merchantId: settings.merchantId }] as [{ merchantId: string }],
    taskQueue,
    workflowId: scheduleId,
    typedSearchAttributes: [{ key: MerchantIdKey, value: settings.merchantId }],
  };
  // A run that finds the previous one still going is skipped (the next pays what it left); one missed
  // while Temporal was down is still made within a day, later ones wait for the next slot.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' as const };
  const state = { paused: settings.paused, note: noteFor(settings) };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies, state });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await handle.update((previous) => ({ ...previous, spec, action, policies, state }));
  }
}
