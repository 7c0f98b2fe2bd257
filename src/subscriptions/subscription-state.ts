/**
 * The subscription's state as its workflow owns it. Pure types and functions, with no I/O: the
 * workflow bundle imports this file.
 */
import type { FeeSchedule } from '../payments/payment-state';
import type { BillingInterval } from './billing-periods';
import type { InvoiceLine } from './invoice-lines';

export type SubscriptionStatus = 'incomplete' | 'trialing' | 'active' | 'past_due' | 'unpaid' | 'canceled' | 'paused';
export const SUBSCRIPTION_STATUSES: readonly SubscriptionStatus[] = [
  'incomplete',
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'canceled',
  'paused',
];

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
export type BillingReason = 'subscription_create' | 'subscription_cycle' | 'subscription_update';

export interface PlanTerms {
  planId: string;
  name: string;
  amountMinor: number;
  currency: string;
  interval: BillingInterval;
  intervalCount: number;
}

/**
 * Retries after a failed charge, as offsets from the first failure (default 3, 5 and 7 days), and
 * what happens when they run out.
 */
export interface DunningPolicy {
  retryOffsetsMs: number[];
  whenExhausted: 'canceled' | 'unpaid';
}

/** Subscription time runs `scale` times faster than the workflow's clock (1 in production; tests may compress days into seconds). */
export interface SubscriptionClock {
  scale: number;
  /** The workflow time and subscription time that coincide. */
  realOrigin: number;
  virtualOrigin: number;
}

export interface InvoiceState {
  invoiceId: string;
  subscriptionId: string;
  merchantId: string;
  customerId: string;
  cycle: number;
  status: InvoiceStatus;
  billingReason: BillingReason;
  currency: string;
  lines: InvoiceLine[];
  subtotalMinor: number;
  creditAppliedMinor: number;
  amountDueMinor: number;
  amountPaidMinor: number;
  attemptCount: number;
  nextPaymentAttempt: string | null;
  lastPaymentId: string | null;
  lastFailureCode: string | null;
  periodStart: string;
  periodEnd: string;
  paidAt: string | null;
  markedUncollectibleAt: string | null;
  voidedAt: string | null;
  createdAt: string;
  version: number;
}

export interface SubscriptionState {
  subscriptionId: string;
  merchantId: string;
  customerId: string;
  plan: PlanTerms;
  status: SubscriptionStatus;
  billingAnchor: string;
  /** Index of the current period from the anchor: its boundaries are periodBoundary(anchor, ..., cycle) and (cycle + 1). */
  cycle: number;
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
  trialStart: string | null;
  trialEnd: string | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: string | null;
  endedAt: string | null;
  pausedAt: string | null;
  latestInvoiceId: string | null;
  nextBillingAt: string | null;
  /** Credit owed to the customer (from downgrades) taken off the next invoices. */
  creditBalanceMinor: number;
  /** Proration lines waiting for the next invoice. */
  pendingLines: InvoiceLine[];
  invoicesIssued: number;
  metadata: Record<string, string>;
  createdAt: string;
  version: number;
}

export interface SubscriptionWorkflowInput {
  subscriptionId: string;
  merchantId: string;
  customerId: string;
  plan: PlanTerms;
  createdAt: string;
  trialEnd: string | null;
  cancelAtPeriodEnd: boolean;
  metadata: Record<string, string>;
  /** Policies in force when the subscription was created. */
  dunning: DunningPolicy;
  fees: FeeSchedule;
  gateway: string;
  clock: SubscriptionClock;
  /** Continue as new after this many billing cycles in one run (or sooner if the server suggests it). */
  cyclesPerRun: number;
  /** The state carried across continue-as-new. */
  carried?: SubscriptionState;
}

/** Declines a new attempt on the same card cannot fix (including an ops review that declined or expired): dunning stops at once. */
export const HARD_DECLINE_CODES: readonly string[] = [
  'card_declined',
  'expired_card',
  'fraud_blocked',
  'invalid_source',
  'review_declined',
  'review_timeout',
];

export function subscriptionWorkflowId(subscriptionId: string): string {
  return `subscription-${subscriptionId}`;
}
