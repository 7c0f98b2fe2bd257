import { applyBasisPointsHalfEven } from '../shared/money';
import type { FeeSchedule } from '../payments/payment-state';

/** The processing fee on a captured amount: percentage rounded half-to-even, plus the fixed part. */
export function processingFeeMinor(capturedMinor: number, schedule: FeeSchedule): number {
  return applyBasisPointsHalfEven(capturedMinor, schedule.percentBps) + schedule.fixedMinor;
}
