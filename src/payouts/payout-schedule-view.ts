import { minorToMajorNumber } from '../shared/money';
import { PAYOUT_RUN_HOUR_UTC } from './payout-schedule-calendar';
import type { PayoutScheduleRecord } from './payout-schedule-record';

export interface PayoutScheduleJson {
  object: 'payout_schedule';
  interval: PayoutScheduleRecord['interval'];
  weekly_anchor: PayoutScheduleRecord['weeklyAnchor'];
  monthly_anchor: number | null;
  delay_days: number;
  minimum_amounts: Record<string, number>;
  gateway_account: string | null;
  paused: boolean;
  run_hour_utc: number;
  updated_at: string | null;
}

/** The settings as the merchant sees them; `stored` is false for the defaults of a merchant without a row. */
export function renderPayoutSchedule(record: PayoutScheduleRecord, stored: boolean): PayoutScheduleJson {
  return {
    object: 'payout_schedule',
    interval: record.interval,
    weekly_anchor: record.weeklyAnchor,
    monthly_anchor: record.monthlyAnchor,
    delay_days: record.delayDays,
    minimum_amounts: Object.fromEntries(
      Object.entries(record.minimumAmounts).map(([currency, minor]) => [currency, minorToMajorNumber(minor, currency)]),
    ),
    gateway_account: record.gatewayAccountId,
    paused: record.paused,
    run_hour_utc: PAYOUT_RUN_HOUR_UTC,
    updated_at: stored ? record.updatedAt.toISOString() : null,
  };
}

/** The settings as ops see them: whose they are, and why they are paused. */
export function renderAdminPayoutSchedule(record: PayoutScheduleRecord) {
  return { ...renderPayoutSchedule(record, true), merchant: record.merchantId, paused_reason: record.pausedReason };
}
