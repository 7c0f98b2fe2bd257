/** How often a merchant's available balance is paid out on its own; `manual` leaves it to POST /v1/payouts. */
export const PAYOUT_INTERVALS = ['manual', 'daily', 'weekly', 'monthly'] as const;
export type PayoutInterval = (typeof PAYOUT_INTERVALS)[number];

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A merchant's automatic payout settings as stored in `payout_schedules`; a merchant without a row is on `manual`. */
export interface PayoutScheduleRecord {
  merchantId: string;
  interval: PayoutInterval;
  /** Set exactly when the interval is weekly. */
  weeklyAnchor: Weekday | null;
  /** Set exactly when the interval is monthly: 1-31; a month shorter than the anchor pays on its last day. */
  monthlyAnchor: number | null;
  /** Funds are paid out once they have been available this many whole days. */
  delayDays: number;
  /** Per currency (upper case), the smallest payout worth sending, in minor units; a currency not listed has none. */
  minimumAmounts: Record<string, number>;
  /**
   * The Stripe gateway account automatic payouts go through (its gateway pays that account's own bank
   * account); null: the merchant's default bank account of each currency.
   */
  gatewayAccountId: string | null;
  /** Set by ops: no automatic payout runs and POST /v1/payouts answers 400 payouts_paused. */
  paused: boolean;
  pausedReason: string | null;
  updatedAt: Date;
}

/** The settings of a merchant that never chose any. */
export function defaultPayoutSchedule(merchantId: string, now: Date): PayoutScheduleRecord {
  return {
    merchantId,
    interval: 'manual',
    weeklyAnchor: null,
    monthlyAnchor: null,
    delayDays: 0,
    minimumAmounts: {},
    gatewayAccountId: null,
    paused: false,
    pausedReason: null,
    updatedAt: now,
  };
}
