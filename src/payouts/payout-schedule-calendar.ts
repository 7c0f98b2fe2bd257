import type { CalendarSpec, DayOfWeek } from '@temporalio/client';
import type { PayoutScheduleRecord } from './payout-schedule-record';

/**
 * The hour (UTC) automatic payouts run: after the finance night (settlement, reconciliation at 02:00,
 * subscription checks at 03:00), so the day's newly available funds are in the balance.
 */
export const PAYOUT_RUN_HOUR_UTC = 4;

const SHORT_MONTHS = ['APRIL', 'JUNE', 'SEPTEMBER', 'NOVEMBER'] as const;

/**
 * When a merchant's payouts run, as Temporal calendar specs (empty for manual). Temporal has no "last
 * day of the month", so an anchor of 29-31 also fires on the last day of each shorter month: the 30th
 * of 30-day months, and February's 28th and 29th. In a leap year that makes February fire on both the
 * 28th and the 29th for those anchors; the run on the 28th sees it is not the month's payout day
 * (isPayoutDay) and pays nothing.
 */
export function payoutCalendars(settings: Pick<PayoutScheduleRecord, 'interval' | 'weeklyAnchor' | 'monthlyAnchor'>): CalendarSpec[] {
  const at = { hour: PAYOUT_RUN_HOUR_UTC, minute: 0 };
  const time = `${String(PAYOUT_RUN_HOUR_UTC).padStart(2, '0')}:00 UTC`;
  switch (settings.interval) {
    case 'manual':
      return [];
    case 'daily':
      return [{ ...at, comment: `daily at ${time}` }];
    case 'weekly': {
      const day = (settings.weeklyAnchor ?? 'monday').toUpperCase() as DayOfWeek;
      return [{ ...at, dayOfWeek: day, comment: `weekly on ${settings.weeklyAnchor} at ${time}` }];
    }
    case 'monthly': {
      const anchor = settings.monthlyAnchor ?? 1;
      const calendars: CalendarSpec[] = [{ ...at, dayOfMonth: anchor, comment: `monthly on day ${anchor} at ${time}` }];
      if (anchor === 31)
        calendars.push({ ...at, month: [...SHORT_MONTHS], dayOfMonth: 30, comment: `day 30 of 30-day months (anchor 31)` });
      if (anchor >= 29) {
        const february = anchor === 29 ? [28] : [28, 29];
        calendars.push({ ...at, month: 'FEBRUARY', dayOfMonth: february, comment: `end of February (anchor ${anchor})` });
      }
      return calendars;
    }
  }
}

const daysInMonth = (year: number, monthIndex: number) => new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();

/**
 * Whether a run at this time is a payout day for these settings. Only the extra February 28th a leap
 * year gives anchors 29-31 is not; any other run (a scheduled one, or one ops trigger by hand) is.
 */
export function isPayoutDay(settings: Pick<PayoutScheduleRecord, 'interval' | 'monthlyAnchor'>, runAt: Date): boolean {
  if (settings.interval !== 'monthly' || settings.monthlyAnchor === null) return true;
  const leapFebruary = runAt.getUTCMonth() === 1 && daysInMonth(runAt.getUTCFullYear(), 1) === 29;
  return !(leapFebruary && runAt.getUTCDate() === 28 && settings.monthlyAnchor >= 29);
}
