import type { BillingInterval } from '../subscriptions/billing-periods';

/**
 * A plan's amount normalised to one month, in minor units, rounded half to even:
 * month amount / n; year amount / (12 n); week amount × 52 / (12 n); day amount × 365 / (12 n),
 * for a plan billed every n intervals.
 */
export function monthlyRecurringMinor(amountMinor: number, interval: BillingInterval, intervalCount: number): number {
  const [perIntervals, months] = MONTH_EQUIVALENT[interval];
  return divideHalfEven(BigInt(amountMinor) * BigInt(perIntervals), BigInt(months) * BigInt(intervalCount));
}

// [intervals, months]: how many intervals make how many months.
const MONTH_EQUIVALENT: Record<BillingInterval, [number, number]> = {
  day: [365, 12],
  week: [52, 12],
  month: [1, 1],
  year: [1, 12],
};

function divideHalfEven(numerator: bigint, denominator: bigint): number {
  const quotient = numerator / denominator;
  const twice = (numerator % denominator) * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) return Number(quotient + 1n);
  return Number(quotient);
}
