/**
 * Billing calendar math, in UTC. Pure: the workflow bundle imports this file.
 *
 * Every boundary is computed from the billing anchor, never from the previous boundary, so a
 * subscription started on Jan 31 bills on Feb 28 (or 29), Mar 31, Apr 30... and never drifts to
 * the 28th.
 */
export type BillingInterval = 'day' | 'week' | 'month' | 'year';

const DAY_MS = 24 * 3600 * 1000;

function daysInMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

function addMonthsClamped(anchor: Date, months: number): Date {
  const totalMonths = anchor.getUTCFullYear() * 12 + anchor.getUTCMonth() + months;
  const year = Math.floor(totalMonths / 12);
  const month = totalMonths - year * 12;
  const day = Math.min(anchor.getUTCDate(), daysInMonth(year, month));
  return new Date(
    Date.UTC(year, month, day, anchor.getUTCHours(), anchor.getUTCMinutes(), anchor.getUTCSeconds(), anchor.getUTCMilliseconds()),
  );
}

/** The start of period `index` (0 = the anchor itself) of a plan billed every `count` `interval`s. */
export function periodBoundary(anchor: Date, interval: BillingInterval, count: number, index: number): Date {
  const steps = count * index;
  switch (interval) {
    case 'day':
      return new Date(anchor.getTime() + steps * DAY_MS);
    case 'week':
      return new Date(anchor.getTime() + steps * 7 * DAY_MS);
    case 'month':
      return addMonthsClamped(anchor, steps);
    case 'year':
      return addMonthsClamped(anchor, steps * 12);
  }
}

/** The amount for `remainingMs` of a `totalMs` period, rounded half to even to the minor unit. */
export function prorate(amountMinor: number, remainingMs: number, totalMs: number): number {
  if (totalMs <= 0 || remainingMs <= 0) return 0;
  const numerator = BigInt(amountMinor) * BigInt(Math.min(remainingMs, totalMs));
  const denominator = BigInt(totalMs);
  const quotient = numerator / denominator;
  const twice = (numerator % denominator) * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) return Number(quotient + 1n);
  return Number(quotient);
}

/** How a plan reads: "month", "3 months". */
export function describeInterval(interval: BillingInterval, count: number): string {
  return count === 1 ? interval : `${count} ${interval}s`;
}
