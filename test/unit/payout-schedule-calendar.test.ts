import { describe, expect, it } from 'vitest';
import { isPayoutDay, payoutCalendars, PAYOUT_RUN_HOUR_UTC } from '../../src/payouts/payout-schedule-calendar';
import { automaticPayoutId, payableMinor } from '../../activities/automatic-payout-activities';

const monthly = (monthlyAnchor: number) => ({ interval: 'monthly' as const, weeklyAnchor: null, monthlyAnchor });
const at = (day: string) => new Date(`${day}T0${PAYOUT_RUN_HOUR_UTC}:00:00Z`);

describe('payout calendars', () => {
  it('when the interval is manual, daily or weekly, then there is no calendar, one every day, or one on the anchor day', () => {
    expect(payoutCalendars({ interval: 'manual', weeklyAnchor: null, monthlyAnchor: null })).toEqual([]);
    expect(payoutCalendars({ interval: 'daily', weeklyAnchor: null, monthlyAnchor: null })).toEqual([
      { hour: PAYOUT_RUN_HOUR_UTC, minute: 0, comment: expect.any(String) },
    ]);
    expect(payoutCalendars({ interval: 'weekly', weeklyAnchor: 'wednesday', monthlyAnchor: null })).toEqual([
      { hour: PAYOUT_RUN_HOUR_UTC, minute: 0, dayOfWeek: 'WEDNESDAY', comment: expect.any(String) },
    ]);
  });

  it('when the monthly anchor is 28 or less, then one calendar on that day; from 29, the last day of each shorter month too', () => {
    expect(payoutCalendars(monthly(15)).map(({ dayOfMonth, month }) => ({ dayOfMonth, month }))).toEqual([
      { dayOfMonth: 15, month: undefined },
    ]);
    expect(payoutCalendars(monthly(29)).map(({ dayOfMonth, month }) => ({ dayOfMonth, month }))).toEqual([
      { dayOfMonth: 29, month: undefined },
      { dayOfMonth: [28], month: 'FEBRUARY' },
    ]);
    expect(payoutCalendars(monthly(31)).map(({ dayOfMonth, month }) => ({ dayOfMonth, month }))).toEqual([
      { dayOfMonth: 31, month: undefined },
      { dayOfMonth: 30, month: ['APRIL', 'JUNE', 'SEPTEMBER', 'NOVEMBER'] },
      { dayOfMonth: [28, 29], month: 'FEBRUARY' },
    ]);
  });

  it('when February 28th of a leap year fires for an anchor of 29-31, then it is not a payout day (the 29th is); in other years it is', () => {
    expect(isPayoutDay(monthly(31), at('2028-02-28'))).toBe(false);
    expect(isPayoutDay(monthly(29), at('2028-02-28'))).toBe(false);
    expect(isPayoutDay(monthly(31), at('2028-02-29'))).toBe(true);
    expect(isPayoutDay(monthly(31), at('2027-02-28'))).toBe(true);
    expect(isPayoutDay(monthly(28), at('2028-02-28'))).toBe(true);
    expect(isPayoutDay({ interval: 'daily', monthlyAnchor: null }, at('2028-02-28'))).toBe(true);
  });
});

describe('automatic payout amounts and ids', () => {
  it('when funds arrived within the delay, then they are held back; whatever left the balance meanwhile comes out of older funds', () => {
    expect(payableMinor({ availableMinor: 130_000, creditedSinceMinor: 30_000 })).toBe(100_000);
    // A refund of 50,000 after 30,000 arrived: only 50,000 of the old funds are left to pay.
    expect(payableMinor({ availableMinor: 80_000, creditedSinceMinor: 30_000 })).toBe(50_000);
    expect(payableMinor({ availableMinor: 20_000, creditedSinceMinor: 30_000 })).toBe(0);
  });

  it('when the merchant, run time and currency are the same, then so is the payout id; any of them different, a different one', () => {
    const id = automaticPayoutId('mer_a', '2026-12-07T04:00:00.000Z', 'EUR');
    expect(id).toMatch(/^po_[0-9A-Za-z]{22}$/);
    expect(automaticPayoutId('mer_a', '2026-12-07T04:00:00Z', 'EUR')).toBe(id);
    expect(
      new Set([
        id,
        automaticPayoutId('mer_b', '2026-12-07T04:00:00Z', 'EUR'),
        automaticPayoutId('mer_a', '2026-12-08T04:00:00Z', 'EUR'),
        automaticPayoutId('mer_a', '2026-12-07T04:00:00Z', 'USD'),
      ]).size,
    ).toBe(4);
  });
});
