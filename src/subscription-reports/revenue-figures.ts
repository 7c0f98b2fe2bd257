import { monthlyRecurringMinor } from './mrr';
import type { BillingInterval } from '../subscriptions/billing-periods';

/** A month's subscription figures for one merchant in one currency, in minor units. */
export interface RevenueFigures {
  merchantId: string;
  currency: string;
  mrrMinor: number;
  mrrStartMinor: number;
  newCount: number;
  newMrrMinor: number;
  churnedCount: number;
  churnedMrrMinor: number;
  invoicesPaidCount: number;
  invoicesPaidMinor: number;
  failedCount: number;
  failedMinor: number;
  recoveredCount: number;
  recoveredMinor: number;
}

/** What the figures need of one subscription that was live at some point of the window. */
export interface SubscriptionFacts {
  merchantId: string;
  currency: string;
  amountMinor: number;
  interval: BillingInterval;
  intervalCount: number;
  createdAt: Date;
  endedAt: Date | null;
  trialEnd: Date | null;
  /** The row's status now: what is assumed where no event tells the status at an instant. */
  status: string;
  /** The status its last subscription event before the window's start, before its end, and before it was canceled, recorded. */
  statusAtStart: string | null;
  statusAtEnd: string | null;
  statusBeforeCanceled: string | null;
}

/** Invoice figures per merchant and currency, as the queries sum them. */
export interface InvoiceFacts {
  merchantId: string;
  currency: string;
  invoicesPaidCount: number;
  invoicesPaidMinor: number;
  failedCount: number;
  failedMinor: number;
  recoveredCount: number;
  recoveredMinor: number;
}

const LIVE = new Set(['active', 'past_due']);

/**
 * The status at an instant, from the last subscription event before it. A trial's end records no
 * subscription event (the first invoice is paid and the status becomes active silently; a failure
 * would record past_due), so a trial over by then counts as active.
 */
function statusAt(recorded: string | null, facts: SubscriptionFacts, at: Date): string {
  const status = recorded ?? facts.status;
  if (status === 'trialing' && facts.trialEnd && facts.trialEnd.getTime() <= at.getTime()) return 'active';
  return status;
}

/** Whether the subscription counts in MRR at `at`: created before it, not ended by then, and active or past due. */
function liveAt(facts: SubscriptionFacts, recorded: string | null, at: Date): boolean {
  if (facts.createdAt.getTime() >= at.getTime()) return false;
  if (facts.endedAt && facts.endedAt.getTime() < at.getTime()) return false;
  return LIVE.has(statusAt(recorded, facts, at));
}

/**
 * Sums the figures of the window [start, end) per merchant and currency. Each subscription's MRR
 * is rounded on its own, so the new and churned MRR are exact parts of the totals.
 */
export function sumRevenueFigures(subscriptions: SubscriptionFacts[], invoices: InvoiceFacts[], start: Date, end: Date): RevenueFigures[] {
  const figures = new Map<string, RevenueFigures>();
  const of = (merchantId: string, currency: string): RevenueFigures => {
    const key = `${merchantId}\u0000${currency}`;
    let found = figures.get(key);
    if (!found) {
      found = {
        merchantId,
        currency,
        mrrMinor: 0,
        mrrStartMinor: 0,
        newCount: 0,
        newMrrMinor: 0,
        churnedCount: 0,
        churnedMrrMinor: 0,
        invoicesPaidCount: 0,
        invoicesPaidMinor: 0,
        failedCount: 0,
        failedMinor: 0,
        recoveredCount: 0,
        recoveredMinor: 0,
      };
      figures.set(key, found);
    }
    return found;
  };
  const within = (at: Date | null) => at !== null && at.getTime() >= start.getTime() && at.getTime() < end.getTime();

  for (const s of subscriptions) {
    const mrr = monthlyRecurringMinor(s.amountMinor, s.interval, s.intervalCount);
    const liveAtEnd = liveAt(s, s.statusAtEnd, end);
    const isNew = within(s.createdAt);
    const churned = within(s.endedAt);
    if (!liveAtEnd && !isNew && !churned && !liveAt(s, s.statusAtStart, start)) continue;
    const f = of(s.merchantId, s.currency);
    if (liveAtEnd) f.mrrMinor += mrr;
    if (liveAt(s, s.statusAtStart, start)) f.mrrStartMinor += mrr;
    if (isNew) {
      f.newCount += 1;
      if (liveAtEnd) f.newMrrMinor += mrr;
    }
    if (churned) {
      f.churnedCount += 1;
      // The MRR it had just before it was canceled: none if it was trialing, incomplete, paused or unpaid.
      if (LIVE.has(statusAt(s.statusBeforeCanceled, { ...s, status: 'canceled' }, s.endedAt as Date))) f.churnedMrrMinor += mrr;
    }
  }
  for (const i of invoices) {
    const f = of(i.merchantId, i.currency);
    f.invoicesPaidCount += i.invoicesPaidCount;
    f.invoicesPaidMinor += i.invoicesPaidMinor;
    f.failedCount += i.failedCount;
    f.failedMinor += i.failedMinor;
    f.recoveredCount += i.recoveredCount;
    f.recoveredMinor += i.recoveredMinor;
  }
  return [...figures.values()].sort((a, b) => a.merchantId.localeCompare(b.merchantId) || a.currency.localeCompare(b.currency));
}
