import { describe, expect, it } from 'vitest';
import type { InvoiceLine } from '../../src/subscriptions/invoice-lines';
import {
  attemptFailureCode,
  currentBillingPeriod,
  draftInvoice,
  dunningOrigin,
  dunningStep,
  initialSubscriptionState,
  openInvoice,
  planChangeProration,
  restartedSchedule,
  resumedSchedule,
} from '../../src/subscriptions/subscription-billing';
import type { DunningPolicy, PlanTerms, SubscriptionState, SubscriptionWorkflowInput } from '../../src/subscriptions/subscription-state';

const DAY_MS = 24 * 3600 * 1000;
const basic: PlanTerms = { planId: 'plan_basic', name: 'Basic', amountMinor: 1_000, currency: 'USD', interval: 'month', intervalCount: 1 };
const pro: PlanTerms = { planId: 'plan_pro', name: 'Pro', amountMinor: 2_000, currency: 'USD', interval: 'month', intervalCount: 1 };

function workflowInput(overrides: Partial<SubscriptionWorkflowInput> = {}): SubscriptionWorkflowInput {
  return {
    subscriptionId: 'sub_1',
    merchantId: 'mer_1',
    customerId: 'cus_1',
    plan: basic,
    createdAt: '2026-01-31T10:00:00.000Z',
    trialEnd: null,
    cancelAtPeriodEnd: false,
    metadata: { team: 'a' },
    dunning: { retryOffsetsMs: [3 * DAY_MS, 5 * DAY_MS, 7 * DAY_MS], whenExhausted: 'canceled' },
    fees: { percentBps: 290, fixedMinor: 30 },
    gateway: 'sandbox',
    clock: { scale: 1, realOrigin: 0, virtualOrigin: 0 },
    cyclesPerRun: 12,
    ...overrides,
  };
}

/** An active subscription in a 30-day period (Apr 1 – May 1), for proration. */
function activeState(overrides: Partial<SubscriptionState> = {}): SubscriptionState {
  return {
    ...initialSubscriptionState(workflowInput({ createdAt: '2026-04-01T00:00:00.000Z' })),
    status: 'active',
    currentPeriodStart: '2026-04-01T00:00:00.000Z',
    currentPeriodEnd: '2026-05-01T00:00:00.000Z',
    ...overrides,
  };
}

const proration = (amountMinor: number, planId = 'plan_pro'): InvoiceLine => ({
  type: 'proration',
  description: 'proration',
  amountMinor,
  planId,
  periodStart: '2026-04-21T00:00:00.000Z',
  periodEnd: '2026-05-01T00:00:00.000Z',
});
const aprilPeriod = { periodStart: '2026-04-01T00:00:00.000Z', periodEnd: '2026-05-01T00:00:00.000Z' };

describe('a new subscription', () => {
  it('when there is no trial, then it is incomplete, anchored and first billed at its creation, with no period yet', () => {
    const state = initialSubscriptionState(workflowInput());
    expect(state).toMatchObject({
      status: 'incomplete',
      billingAnchor: '2026-01-31T10:00:00.000Z',
      cycle: 0,
      currentPeriodStart: null,
      currentPeriodEnd: null,
      trialStart: null,
      trialEnd: null,
      nextBillingAt: '2026-01-31T10:00:00.000Z',
      creditBalanceMinor: 0,
      pendingLines: [],
      invoicesIssued: 0,
      version: 0,
    });
  });

  it('when a trial is given, then it is trialing over a period that ends with the trial, and billing is anchored at the trial end', () => {
    const state = initialSubscriptionState(workflowInput({ trialEnd: '2026-02-14T10:00:00.000Z', cancelAtPeriodEnd: true }));
    expect(state).toMatchObject({
      status: 'trialing',
      billingAnchor: '2026-02-14T10:00:00.000Z',
      currentPeriodStart: '2026-01-31T10:00:00.000Z',
      currentPeriodEnd: '2026-02-14T10:00:00.000Z',
      trialStart: '2026-01-31T10:00:00.000Z',
      trialEnd: '2026-02-14T10:00:00.000Z',
      nextBillingAt: '2026-02-14T10:00:00.000Z',
      cancelAtPeriodEnd: true,
    });
  });
});

describe('billing periods', () => {
  it('when the anchor is the 31st, then each period follows the calendar from the anchor and ends on the last day of a shorter month', () => {
    const state = { billingAnchor: '2026-01-31T10:00:00.000Z', plan: basic };
    expect(currentBillingPeriod({ ...state, cycle: 0 })).toEqual({
      periodStart: '2026-01-31T10:00:00.000Z',
      periodEnd: '2026-02-28T10:00:00.000Z',
    });
    expect(currentBillingPeriod({ ...state, cycle: 1 })).toEqual({
      periodStart: '2026-02-28T10:00:00.000Z',
      periodEnd: '2026-03-31T10:00:00.000Z',
    });
  });

  it('when a plan bills every 2 weeks, then a period is 14 days', () => {
    const period = currentBillingPeriod({
      billingAnchor: '2026-03-02T00:00:00.000Z',
      plan: { ...basic, interval: 'week', intervalCount: 2 },
      cycle: 2,
    });
    expect(period).toEqual({ periodStart: '2026-03-30T00:00:00.000Z', periodEnd: '2026-04-13T00:00:00.000Z' });
  });

  it('when resumed within the paid period, then the anchor and cycle stay and billing carries on at the period end', () => {
    const state = activeState({ billingAnchor: '2026-01-01T00:00:00.000Z', cycle: 3 });
    expect(resumedSchedule(state, new Date('2026-04-20T00:00:00.000Z'))).toEqual({
      status: 'active',
      pausedAt: null,
      billingAnchor: '2026-01-01T00:00:00.000Z',
      cycle: 3,
      nextBillingAt: '2026-05-01T00:00:00.000Z',
    });
  });

  it('when resumed exactly at or after the period end, then a new period starts at once, and the next cycle covers it from the resume', () => {
    const state = activeState({ billingAnchor: '2026-01-01T00:00:00.000Z', cycle: 3 });
    const at = new Date('2026-05-01T00:00:00.000Z');
    const resumed = resumedSchedule(state, at);
    expect(resumed).toEqual({
      status: 'active',
      pausedAt: null,
      billingAnchor: at.toISOString(),
      cycle: -1,
      nextBillingAt: at.toISOString(),
    });
    expect(currentBillingPeriod({ ...state, ...resumed, cycle: resumed.cycle + 1 })).toEqual({
      periodStart: '2026-05-01T00:00:00.000Z',
      periodEnd: '2026-06-01T00:00:00.000Z',
    });
  });

  it('when resumed with no period ever billed, then a new period starts at once', () => {
    const resumed = resumedSchedule(
      { billingAnchor: '2026-01-01T00:00:00.000Z', cycle: 0, currentPeriodEnd: null },
      new Date('2026-02-10T12:00:00.000Z'),
    );
    expect(resumed).toMatchObject({ cycle: -1, billingAnchor: '2026-02-10T12:00:00.000Z', nextBillingAt: '2026-02-10T12:00:00.000Z' });
  });

  it('when an unpaid subscription restarts, then period 0 begins at the restart', () => {
    const restarted = restartedSchedule(new Date('2026-06-15T08:30:00.000Z'));
    expect(restarted).toEqual({ billingAnchor: '2026-06-15T08:30:00.000Z', cycle: 0 });
    expect(currentBillingPeriod({ ...restarted, plan: basic }).periodStart).toBe('2026-06-15T08:30:00.000Z');
  });
});

describe('invoice drafts', () => {
  it('when nothing is pending and there is no credit, then the invoice has the plan line only and is due in full', () => {
    const draft = draftInvoice({ plan: basic, pendingLines: [], creditBalanceMinor: 0 }, aprilPeriod);
    expect(draft).toEqual({
      ...aprilPeriod,
      lines: [
        { type: 'subscription', description: 'Basic (2026-04-01 – 2026-05-01)', amountMinor: 1_000, planId: 'plan_basic', ...aprilPeriod },
      ],
      subtotalMinor: 1_000,
      creditAppliedMinor: 0,
      amountDueMinor: 1_000,
      creditBalanceAfterMinor: 0,
    });
  });

  it('when proration lines are pending, then they follow the plan line and count in the subtotal', () => {
    const pendingLines = [proration(-333, 'plan_basic'), proration(667)];
    const draft = draftInvoice({ plan: pro, pendingLines, creditBalanceMinor: 0 }, aprilPeriod);
    expect(draft.lines.map((line) => [line.type, line.amountMinor])).toEqual([
      ['subscription', 2_000],
      ['proration', -333],
      ['proration', 667],
    ]);
    expect(draft).toMatchObject({ subtotalMinor: 2_334, creditAppliedMinor: 0, amountDueMinor: 2_334, creditBalanceAfterMinor: 0 });
    expect(pendingLines).toHaveLength(2);
  });

  it('when the credit balance is smaller than the subtotal, then all of it is applied and the rest is due', () => {
    const draft = draftInvoice({ plan: basic, pendingLines: [], creditBalanceMinor: 250 }, aprilPeriod);
    expect(draft).toMatchObject({ subtotalMinor: 1_000, creditAppliedMinor: 250, amountDueMinor: 750, creditBalanceAfterMinor: 0 });
  });

  it('when the credit balance covers the subtotal, then nothing is due and the remainder stays as credit', () => {
    const draft = draftInvoice({ plan: basic, pendingLines: [proration(-200, 'plan_pro')], creditBalanceMinor: 1_500 }, aprilPeriod);
    expect(draft).toMatchObject({ subtotalMinor: 800, creditAppliedMinor: 800, amountDueMinor: 0, creditBalanceAfterMinor: 700 });
  });

  it('when a downgrade credit exceeds the plan line, then nothing is due, no credit is applied, and the negative subtotal is added to the credit', () => {
    const draft = draftInvoice(
      { plan: basic, pendingLines: [proration(-1_800, 'plan_pro'), proration(300, 'plan_basic')], creditBalanceMinor: 100 },
      aprilPeriod,
    );
    expect(draft).toMatchObject({ subtotalMinor: -500, creditAppliedMinor: 0, amountDueMinor: 0, creditBalanceAfterMinor: 600 });
  });

  it('when the subtotal is exactly zero, then nothing is due and the credit balance is untouched', () => {
    const draft = draftInvoice({ plan: basic, pendingLines: [proration(-1_000, 'plan_pro')], creditBalanceMinor: 400 }, aprilPeriod);
    expect(draft).toMatchObject({ subtotalMinor: 0, creditAppliedMinor: 0, amountDueMinor: 0, creditBalanceAfterMinor: 400 });
  });

  it('when a draft is opened, then the invoice is open, due at once, numbered by the invoices issued before it, and carries the draft amounts', () => {
    const state = activeState({ invoicesIssued: 4, plan: pro });
    const draft = draftInvoice({ plan: pro, pendingLines: [], creditBalanceMinor: 300 }, aprilPeriod);
    const invoice = openInvoice(state, draft, {
      invoiceId: 'in_1',
      reason: 'subscription_cycle',
      at: new Date('2026-04-01T00:00:05.000Z'),
    });
    expect(invoice).toEqual({
      invoiceId: 'in_1',
      subscriptionId: 'sub_1',
      merchantId: 'mer_1',
      customerId: 'cus_1',
      cycle: 4,
      status: 'open',
      billingReason: 'subscription_cycle',
      currency: 'USD',
      lines: draft.lines,
      subtotalMinor: 2_000,
      creditAppliedMinor: 300,
      amountDueMinor: 1_700,
      amountPaidMinor: 0,
      attemptCount: 0,
      nextPaymentAttempt: '2026-04-01T00:00:05.000Z',
      lastPaymentId: null,
      lastFailureCode: null,
      ...aprilPeriod,
      paidAt: null,
      markedUncollectibleAt: null,
      voidedAt: null,
      createdAt: '2026-04-01T00:00:05.000Z',
      version: 0,
    });
  });
});

describe('plan change proration', () => {
  const tenDaysLeft = new Date('2026-04-21T00:00:00.000Z');

  it('when upgrading with a third of the period left, then the old plan is credited and the new one charged for that third, to the minor unit', () => {
    expect(planChangeProration(activeState(), pro, tenDaysLeft)).toEqual([
      {
        type: 'proration',
        description: 'Unused time on Basic after 2026-04-21',
        amountMinor: -333,
        planId: 'plan_basic',
        periodStart: '2026-04-21T00:00:00.000Z',
        periodEnd: '2026-05-01T00:00:00.000Z',
      },
      {
        type: 'proration',
        description: 'Remaining time on Pro after 2026-04-21',
        amountMinor: 667,
        planId: 'plan_pro',
        periodStart: '2026-04-21T00:00:00.000Z',
        periodEnd: '2026-05-01T00:00:00.000Z',
      },
    ]);
  });

  it('when downgrading, then the credit outweighs the charge', () => {
    const lines = planChangeProration(activeState({ plan: pro }), basic, tenDaysLeft);
    expect(lines.map((line) => [line.planId, line.amountMinor])).toEqual([
      ['plan_pro', -667],
      ['plan_basic', 333],
    ]);
    expect(lines.reduce((sum, line) => sum + line.amountMinor, 0)).toBe(-334);
  });

  it('when a prorated amount rounds to zero, then it gets no line', () => {
    // Half of 1 minor unit rounds half to even, to 0; half of 3 rounds to 2.
    const halfLeft = new Date('2026-04-16T00:00:00.000Z');
    const lines = planChangeProration(activeState({ plan: { ...basic, amountMinor: 1 } }), { ...pro, amountMinor: 3 }, halfLeft);
    expect(lines.map((line) => [line.planId, line.amountMinor])).toEqual([['plan_pro', 2]]);
  });

  it('when changing to a free plan, then only the credit is added', () => {
    const lines = planChangeProration(activeState(), { ...pro, amountMinor: 0 }, tenDaysLeft);
    expect(lines.map((line) => line.amountMinor)).toEqual([-333]);
  });

  it('when past due, then the change is prorated like an active subscription', () => {
    expect(planChangeProration(activeState({ status: 'past_due' }), pro, tenDaysLeft)).toHaveLength(2);
  });

  it.each(['trialing', 'paused', 'unpaid', 'incomplete'] as const)('when the subscription is %s, then nothing is prorated', (status) => {
    expect(planChangeProration(activeState({ status }), pro, tenDaysLeft)).toEqual([]);
  });

  it('when no period was billed yet, then nothing is prorated', () => {
    expect(planChangeProration(activeState({ currentPeriodStart: null, currentPeriodEnd: null }), pro, tenDaysLeft)).toEqual([]);
  });

  it('when the change comes at or after the period end, then nothing is left to prorate', () => {
    expect(planChangeProration(activeState(), pro, new Date('2026-05-01T00:00:00.000Z'))).toEqual([]);
  });
});

describe('dunning', () => {
  const policy: DunningPolicy = { retryOffsetsMs: [3 * DAY_MS, 5 * DAY_MS, 7 * DAY_MS], whenExhausted: 'canceled' };
  const dueAtMs = Date.parse('2026-04-01T00:00:00.000Z');

  it('when a renewal keeps failing, then retries come 3, 5 and 7 days after it fell due, and the fourth failure cancels it', () => {
    const steps = [1, 2, 3, 4].map((attemptCount) =>
      dunningStep({ dunning: policy, attemptCount, failureCode: 'insufficient_funds', dueAtMs, firstInvoice: false }),
    );
    expect(steps).toEqual([
      { retry: true, status: 'past_due', nextPaymentAttempt: '2026-04-04T00:00:00.000Z' },
      { retry: true, status: 'past_due', nextPaymentAttempt: '2026-04-06T00:00:00.000Z' },
      { retry: true, status: 'past_due', nextPaymentAttempt: '2026-04-08T00:00:00.000Z' },
      { retry: false, status: 'past_due', nextPaymentAttempt: null, endsAs: 'canceled' },
    ]);
  });

  it('when retries run out and the policy says unpaid, then a renewal ends unpaid', () => {
    const step = dunningStep({
      dunning: { ...policy, whenExhausted: 'unpaid' },
      attemptCount: 4,
      failureCode: 'insufficient_funds',
      dueAtMs,
      firstInvoice: false,
    });
    expect(step).toEqual({ retry: false, status: 'past_due', nextPaymentAttempt: null, endsAs: 'unpaid' });
  });

  it('when a first invoice runs out of retries, then it is canceled even if the policy says unpaid, and was incomplete meanwhile', () => {
    const unpaidPolicy: DunningPolicy = { ...policy, whenExhausted: 'unpaid' };
    expect(dunningStep({ dunning: unpaidPolicy, attemptCount: 1, failureCode: 'insufficient_funds', dueAtMs, firstInvoice: true })).toEqual(
      { retry: true, status: 'incomplete', nextPaymentAttempt: '2026-04-04T00:00:00.000Z' },
    );
    expect(dunningStep({ dunning: unpaidPolicy, attemptCount: 4, failureCode: 'insufficient_funds', dueAtMs, firstInvoice: true })).toEqual(
      { retry: false, status: 'incomplete', nextPaymentAttempt: null, endsAs: 'canceled' },
    );
  });

  it.each(['card_declined', 'expired_card', 'fraud_blocked', 'invalid_source', 'review_declined', 'review_timeout'])(
    'when the first attempt is a hard decline (%s), then dunning stops at once',
    (failureCode) => {
      const step = dunningStep({
        dunning: { ...policy, whenExhausted: 'unpaid' },
        attemptCount: 1,
        failureCode,
        dueAtMs,
        firstInvoice: false,
      });
      expect(step).toEqual({ retry: false, status: 'past_due', nextPaymentAttempt: null, endsAs: 'unpaid' });
    },
  );

  it('when the schedule has no retries, then the first soft failure exhausts it', () => {
    const step = dunningStep({
      dunning: { retryOffsetsMs: [], whenExhausted: 'canceled' },
      attemptCount: 1,
      failureCode: 'gateway_unavailable',
      dueAtMs,
      firstInvoice: false,
    });
    expect(step).toMatchObject({ retry: false, endsAs: 'canceled' });
  });

  it('when billing runs less than a day late, then retries count from the period start; a day or more late, from the billing time', () => {
    const periodStart = '2026-04-01T00:00:00.000Z';
    expect(dunningOrigin(periodStart, new Date('2026-04-01T23:59:59.999Z'))).toBe(Date.parse(periodStart));
    expect(dunningOrigin(periodStart, new Date('2026-04-02T00:00:00.000Z'))).toBe(Date.parse('2026-04-02T00:00:00.000Z'));
    expect(dunningOrigin(periodStart, new Date('2026-04-20T06:00:00.000Z'))).toBe(Date.parse('2026-04-20T06:00:00.000Z'));
  });

  it('when a charge attempt ends, then only a success counts as paid, and a failure without a code counts as a decline', () => {
    expect(attemptFailureCode({ status: 'succeeded', failureCode: null })).toBeNull();
    expect(attemptFailureCode({ status: 'failed', failureCode: 'insufficient_funds' })).toBe('insufficient_funds');
    expect(attemptFailureCode({ status: 'failed', failureCode: null })).toBe('card_declined');
    expect(attemptFailureCode({ status: 'canceled', failureCode: null })).toBe('card_declined');
  });
});
