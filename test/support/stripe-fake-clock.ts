import type { Activities } from '../../activities';
import { startStripeFake, type StripeFake } from '../../src/gateways/stripe/stripe-fake';

/**
 * The Stripe fake's clock in a time-skipping test, kept at the workflow's time: the test server skips days the
 * fake would never see pass, so without it a payout would never arrive or come back on the workflow's days.
 * Its functions close over the clock, so they are passed on as they are (`now: clock.now`).
 */
export interface StripeFakeClock {
  /** The fake's time in ms; give it to `startStripeFake({ now })`. */
  readonly now: () => number;
  /** Moves the fake's clock to `atMs`, never back: a time already passed stays passed, as a real Stripe's would. */
  readonly advanceTo: (atMs: number) => void;
  /**
   * The worker's activities with the fake's clock moved to the workflow's before each payout call (to the
   * `requestedAt` a transfer is submitted with, the `asOf` its status is asked at), as a real Stripe's clock and ours
   * would agree. For `withWorker(work, { adaptActivities: clock.followWorkflow })`.
   */
  readonly followWorkflow: (activities: Activities) => Activities;
}

/** A clock for the Stripe fake, starting at `startMs` (by default the real time now). */
export function stripeFakeClock(startMs = Date.now()): StripeFakeClock {
  let nowMs = startMs;
  const advanceTo = (atMs: number) => {
    nowMs = Math.max(nowMs, atMs);
  };
  return {
    now: () => nowMs,
    advanceTo,
    followWorkflow: (activities) => ({
      ...activities,
      submitPayoutTransfer: (input) => {
        advanceTo(Date.parse(input.request.requestedAt));
        return activities.submitPayoutTransfer(input);
      },
      payoutTransferStatus: (input) => {
        advanceTo(Date.parse(input.asOf));
        return activities.payoutTransferStatus(input);
      },
    }),
  };
}

const DAY_MS = 86_400_000;

/**
 * The Stripe fake on `clock`, with payouts timed in workflow days as the time-skipping tests skip them: in
 * transit a minute after they are made, paid a day later, and a returned one failing two days after that.
 */
export function startStripeFakeOnClock(clock: StripeFakeClock): Promise<StripeFake> {
  return startStripeFake({ now: clock.now, payoutInTransitAfterMs: 60_000, payoutTransitMs: DAY_MS, payoutReturnAfterMs: 2 * DAY_MS });
}
