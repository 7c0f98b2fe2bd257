/**
 * A subscription's billing decisions as plain functions of its state: where a period starts and
 * ends, what an invoice holds, what a plan change prorates, and what follows a failed charge.
 * Pure and deterministic (the caller passes in the time and the ids): the workflow bundle imports
 * this file.
 */
import type { PaymentState } from '../payments/payment-state';
import { periodBoundary, prorate } from './billing-periods';
import type { InvoiceLine } from './invoice-lines';
import {
  HARD_DECLINE_CODES,
  type BillingReason,
  type DunningPolicy,
  type InvoiceState,
  type PlanTerms,
  type SubscriptionState,
  type SubscriptionStatus,
  type SubscriptionWorkflowInput,
} from './subscription-state';

const DAY_MS = 24 * 3600 * 1000;

/** The state a new subscription starts in: trialing until `trialEnd` when there is one, else incomplete until its first invoice is paid. */
export function initialSubscriptionState(input: SubscriptionWorkflowInput): SubscriptionState {
  return {
    subscriptionId: input.subscriptionId,
    merchantId: input.merchantId,
    customerId: input.customerId,
    plan: input.plan,
    status: input.trialEnd ? 'trialing' : 'incomplete',
    billingAnchor: input.trialEnd ?? input.createdAt,
    cycle: 0,
    currentPeriodStart: input.trialEnd ? input.createdAt : null,
    currentPeriodEnd: input.trialEnd,
    trialStart: input.trialEnd ? input.createdAt : null,
    trialEnd: input.trialEnd,
    cancelAtPeriodEnd: input.cancelAtPeriodEnd,
    canceledAt: null,
    endedAt: null,
    pausedAt: null,
    latestInvoiceId: null,
    nextBillingAt: input.trialEnd ?? input.createdAt,
    creditBalanceMinor: 0,
    pendingLines: [],
    invoicesIssued: 0,
    metadata: input.metadata,
    createdAt: input.createdAt,
    version: 0,
  };
}

export interface BillingPeriod {
  periodStart: string;
  periodEnd: string;
}

/** The boundaries of period `state.cycle` counted from the billing anchor, as ISO timestamps. */
export function currentBillingPeriod(state: Pick<SubscriptionState, 'billingAnchor' | 'plan' | 'cycle'>): BillingPeriod {
  const boundary = (index: number) =>
    periodBoundary(new Date(state.billingAnchor), state.plan.interval, state.plan.intervalCount, index).toISOString();
  return { periodStart: boundary(state.cycle), periodEnd: boundary(state.cycle + 1) };
}

/** The schedule after a resume at `at`: within a paid period billing carries on at its end; after it, a new period starts at `at` and is invoiced at once. */
export function resumedSchedule(
  state: Pick<SubscriptionState, 'billingAnchor' | 'cycle' | 'currentPeriodEnd'>,
  at: Date,
): Pick<SubscriptionState, 'status' | 'pausedAt' | 'billingAnchor' | 'cycle' | 'nextBillingAt'> {
  const periodStillPaid = state.currentPeriodEnd !== null && Date.parse(state.currentPeriodEnd) > at.getTime();
  if (periodStillPaid) {
    return {
      status: 'active',
      pausedAt: null,
      billingAnchor: state.billingAnchor,
      cycle: state.cycle,
      nextBillingAt: state.currentPeriodEnd,
    };
  }
  // Cycle -1 because the billing loop advances the cycle before it bills: the invoice then covers period 0 from the new anchor.
  return { status: 'active', pausedAt: null, billingAnchor: at.toISOString(), cycle: -1, nextBillingAt: at.toISOString() };
}

/** The schedule when an unpaid subscription gets a new card at `at`: a new period 0 starts then, billed directly without advancing the cycle. */
export function restartedSchedule(at: Date): Pick<SubscriptionState, 'billingAnchor' | 'cycle'> {
  return { billingAnchor: at.toISOString(), cycle: 0 };
}

/** The proration lines a change to `plan` at `at` adds to the next invoice: credit for the old plan's unused time, a charge for the new plan's. */
export function planChangeProration(
  state: Pick<SubscriptionState, 'status' | 'plan' | 'currentPeriodStart' | 'currentPeriodEnd'>,
  plan: PlanTerms,
  at: Date,
): InvoiceLine[] {
  const { status, currentPeriodStart, currentPeriodEnd } = state;
  // Only a period that was invoiced has time to give back; a trial, a pause or an unpaid subscription has none.
  if (!currentPeriodStart || !currentPeriodEnd || (status !== 'active' && status !== 'past_due')) return [];
  const previous = state.plan;
  const end = Date.parse(currentPeriodEnd);
  const remainingMs = end - at.getTime();
  const totalMs = end - Date.parse(currentPeriodStart);
  const credit = prorate(previous.amountMinor, remainingMs, totalMs);
  const charge = prorate(plan.amountMinor, remainingMs, totalMs);
  const periodStart = at.toISOString();
  const day = periodStart.slice(0, 10);
  const lines: InvoiceLine[] = [];
  if (credit > 0) {
    lines.push({
      type: 'proration',
      description: `Unused time on ${previous.name} after ${day}`,
      amountMinor: -credit,
      planId: previous.planId,
      periodStart,
      periodEnd: currentPeriodEnd,
    });
  }
  if (charge > 0) {
    lines.push({
      type: 'proration',
      description: `Remaining time on ${plan.name} after ${day}`,
      amountMinor: charge,
      planId: plan.planId,
      periodStart,
      periodEnd: currentPeriodEnd,
    });
  }
  return lines;
}

export interface InvoiceDraft extends BillingPeriod {
  lines: InvoiceLine[];
  subtotalMinor: number;
  creditAppliedMinor: number;
  amountDueMinor: number;
  /** The subscription's credit balance once this invoice is drafted. */
  creditBalanceAfterMinor: number;
}

/** The invoice for `period`: the plan's line then the pending proration lines, with the credit balance taken off a positive subtotal. */
export function draftInvoice(
  state: Pick<SubscriptionState, 'plan' | 'pendingLines' | 'creditBalanceMinor'>,
  period: BillingPeriod,
): InvoiceDraft {
  const { plan } = state;
  const { periodStart, periodEnd } = period;
  const lines: InvoiceLine[] = [
    {
      type: 'subscription',
      description: `${plan.name} (${periodStart.slice(0, 10)} – ${periodEnd.slice(0, 10)})`,
      amountMinor: plan.amountMinor,
      planId: plan.planId,
      periodStart,
      periodEnd,
    },
    ...state.pendingLines,
  ];
  const subtotalMinor = lines.reduce((sum, line) => sum + line.amountMinor, 0);
  // A negative subtotal (a downgrade's credit) is not paid out: it becomes credit for later invoices.
  const creditAppliedMinor = subtotalMinor > 0 ? Math.min(state.creditBalanceMinor, subtotalMinor) : 0;
  const creditBalanceAfterMinor = state.creditBalanceMinor + (subtotalMinor < 0 ? -subtotalMinor : -creditAppliedMinor);
  const amountDueMinor = Math.max(0, subtotalMinor - creditAppliedMinor);
  return { periodStart, periodEnd, lines, subtotalMinor, creditAppliedMinor, amountDueMinor, creditBalanceAfterMinor };
}

/** The open invoice for a draft, numbered by the invoices issued before it and due at `at`. */
export function openInvoice(
  state: Pick<SubscriptionState, 'subscriptionId' | 'merchantId' | 'customerId' | 'invoicesIssued' | 'plan'>,
  draft: InvoiceDraft,
  opening: { invoiceId: string; reason: BillingReason; at: Date },
): InvoiceState {
  const at = opening.at.toISOString();
  return {
    invoiceId: opening.invoiceId,
    subscriptionId: state.subscriptionId,
    merchantId: state.merchantId,
    customerId: state.customerId,
    cycle: state.invoicesIssued,
    status: 'open',
    billingReason: opening.reason,
    currency: state.plan.currency,
    lines: draft.lines,
    subtotalMinor: draft.subtotalMinor,
    creditAppliedMinor: draft.creditAppliedMinor,
    amountDueMinor: draft.amountDueMinor,
    amountPaidMinor: 0,
    attemptCount: 0,
    nextPaymentAttempt: at,
    lastPaymentId: null,
    lastFailureCode: null,
    periodStart: draft.periodStart,
    periodEnd: draft.periodEnd,
    paidAt: null,
    markedUncollectibleAt: null,
    voidedAt: null,
    createdAt: at,
    version: 0,
  };
}

/** Why a charge attempt failed, or null when it succeeded; a failure without a code counts as a decline. */
export function attemptFailureCode(payment: Pick<PaymentState, 'status' | 'failureCode'>): string | null {
  return payment.status === 'succeeded' ? null : (payment.failureCode ?? 'card_declined');
}

/** The time (ms) dunning retries are offset from: the period's start, or `at` when billing runs a day or more late (after a long dunning). */
export function dunningOrigin(periodStart: string, at: Date): number {
  return at.getTime() - Date.parse(periodStart) < DAY_MS ? Date.parse(periodStart) : at.getTime();
}

/** The subscription's status while an invoice is failing: a first invoice leaves it incomplete, a renewal past due. */
type DunningStatus = Extract<SubscriptionStatus, 'incomplete' | 'past_due'>;

export type DunningStep =
  | { retry: true; status: DunningStatus; nextPaymentAttempt: string }
  | { retry: false; status: DunningStatus; nextPaymentAttempt: null; endsAs: 'canceled' | 'unpaid' };

/** What follows failed attempt number `attemptCount` (from 1): the next retry on the schedule, or, after a hard decline or the last retry, how the subscription ends. */
export function dunningStep(failure: {
  dunning: DunningPolicy;
  attemptCount: number;
  failureCode: string;
  dueAtMs: number;
  firstInvoice: boolean;
}): DunningStep {
  const status: DunningStatus = failure.firstInvoice ? 'incomplete' : 'past_due';
  const retryOffsetMs = failure.dunning.retryOffsetsMs[failure.attemptCount - 1];
  if (HARD_DECLINE_CODES.includes(failure.failureCode) || retryOffsetMs === undefined) {
    // A subscription whose first invoice was never paid has no paid period to keep it alive as unpaid.
    const endsAs = failure.firstInvoice || failure.dunning.whenExhausted === 'canceled' ? 'canceled' : 'unpaid';
    return { retry: false, status, nextPaymentAttempt: null, endsAs };
  }
  return { retry: true, status, nextPaymentAttempt: new Date(failure.dueAtMs + retryOffsetMs).toISOString() };
}
