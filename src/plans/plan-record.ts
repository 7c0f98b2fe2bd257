/** A plan as stored: what a subscription charges, and how often. Pure: workflows may import it. */

export const PLAN_INTERVALS = ['day', 'week', 'month', 'year'] as const;
export type PlanInterval = (typeof PLAN_INTERVALS)[number];

/**
 * The largest interval_count per interval: a billing period is at most three years (156 weeks,
 * 36 months, 3 years). Days stop at 365, the table's own bound on interval_count.
 */
export const MAX_INTERVAL_COUNT: Readonly<Record<PlanInterval, number>> = Object.freeze({ day: 365, week: 156, month: 36, year: 3 });
export const MAX_TRIAL_PERIOD_DAYS = 730;

export interface PlanRecord {
  id: string;
  merchantId: string;
  name: string;
  /** What each period costs, in minor units of `currency`. */
  amountMinor: number;
  currency: string;
  interval: PlanInterval;
  intervalCount: number;
  /** Days of free trial a new subscription gets by default; null for none. */
  trialPeriodDays: number | null;
  active: boolean;
  metadata: Record<string, string>;
  createdAt: Date;
}
