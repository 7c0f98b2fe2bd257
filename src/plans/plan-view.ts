import { minorToMajorNumber } from '../shared/money';
import { apiTimestamp } from '../shared/timestamps';
import type { PlanInterval, PlanRecord } from './plan-record';

/** A plan as the API shows it, the amount in major units. */
export interface PlanJson {
  id: string;
  object: 'plan';
  name: string;
  amount: number;
  currency: string;
  interval: PlanInterval;
  interval_count: number;
  trial_period_days: number | null;
  active: boolean;
  metadata: Record<string, string>;
  created_at: string;
}

export function renderPlan(plan: PlanRecord): PlanJson {
  return {
    id: plan.id,
    object: 'plan',
    name: plan.name,
    amount: minorToMajorNumber(plan.amountMinor, plan.currency),
    currency: plan.currency,
    interval: plan.interval,
    interval_count: plan.intervalCount,
    trial_period_days: plan.trialPeriodDays,
    active: plan.active,
    metadata: plan.metadata,
    created_at: apiTimestamp(plan.createdAt),
  };
}
