import { minorToMajorNumber } from '../shared/money';
import { apiTimestampOrNull } from '../shared/timestamps';
import { renderInvoice, type InvoiceJson } from '../invoices/invoice-view';
import type { InvoiceState, SubscriptionState } from './subscription-state';

/** A subscription as the API and its events show it, Stripe-like. */
export function renderSubscriptionState(state: SubscriptionState) {
  return {
    id: state.subscriptionId,
    object: 'subscription',
    customer: state.customerId,
    plan: state.plan.planId,
    status: state.status,
    billing_cycle_anchor: apiTimestampOrNull(state.billingAnchor),
    current_period_start: apiTimestampOrNull(state.currentPeriodStart),
    current_period_end: apiTimestampOrNull(state.currentPeriodEnd),
    trial_start: apiTimestampOrNull(state.trialStart),
    trial_end: apiTimestampOrNull(state.trialEnd),
    cancel_at_period_end: state.cancelAtPeriodEnd,
    canceled_at: apiTimestampOrNull(state.canceledAt),
    ended_at: apiTimestampOrNull(state.endedAt),
    pause_collection: state.pausedAt ? { paused_at: apiTimestampOrNull(state.pausedAt) } : null,
    latest_invoice: state.latestInvoiceId,
    next_billing_at: apiTimestampOrNull(state.nextBillingAt),
    credit_balance: minorToMajorNumber(state.creditBalanceMinor, state.plan.currency),
    currency: state.plan.currency,
    metadata: state.metadata,
    created_at: apiTimestampOrNull(state.createdAt),
  };
}

export type SubscriptionJson = ReturnType<typeof renderSubscriptionState>;

/** An invoice as its events show it: the same shape GET /v1/invoices/:id answers. */
export function renderInvoiceState(invoice: InvoiceState): InvoiceJson {
  return renderInvoice({ ...invoice, id: invoice.invoiceId });
}
