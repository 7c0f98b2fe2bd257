import { minorToMajorNumber } from '../shared/money';
import { apiTimestamp, apiTimestampOrNull } from '../shared/timestamps';
import type { BillingReason, InvoiceStatus, RenderableInvoice } from './invoice-record';

export interface InvoiceLineJson {
  type: 'subscription' | 'proration';
  description: string;
  amount: number;
  plan: string;
  period: { start: string; end: string };
}

/** A subscription invoice as the API shows it, Stripe-like, amounts in major units. */
export interface InvoiceJson {
  id: string;
  object: 'invoice';
  subscription: string;
  customer: string;
  status: InvoiceStatus;
  billing_reason: BillingReason;
  currency: string;
  lines: InvoiceLineJson[];
  subtotal: number;
  credit_applied: number;
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
  attempt_count: number;
  next_payment_attempt: string | null;
  last_payment: string | null;
  last_failure_code: string | null;
  period_start: string;
  period_end: string;
  paid_at: string | null;
  created_at: string;
}

/** Renders a stored invoice (see invoiceFromRow) or the subscription workflow's invoice state with `id` set. */
export function renderInvoice(invoice: RenderableInvoice): InvoiceJson {
  const major = (minor: number) => minorToMajorNumber(minor, invoice.currency);
  return {
    id: invoice.id,
    object: 'invoice',
    subscription: invoice.subscriptionId,
    customer: invoice.customerId,
    status: invoice.status,
    billing_reason: invoice.billingReason,
    currency: invoice.currency,
    lines: invoice.lines.map((line) => ({
      type: line.type,
      description: line.description,
      amount: major(line.amountMinor),
      plan: line.planId,
      period: { start: apiTimestamp(line.periodStart), end: apiTimestamp(line.periodEnd) },
    })),
    subtotal: major(invoice.subtotalMinor),
    credit_applied: major(invoice.creditAppliedMinor),
    amount_due: major(invoice.amountDueMinor),
    amount_paid: major(invoice.amountPaidMinor),
    amount_remaining: major(invoice.amountDueMinor - invoice.amountPaidMinor),
    attempt_count: invoice.attemptCount,
    next_payment_attempt: apiTimestampOrNull(invoice.nextPaymentAttempt),
    last_payment: invoice.lastPaymentId,
    last_failure_code: invoice.lastFailureCode,
    period_start: apiTimestamp(invoice.periodStart),
    period_end: apiTimestamp(invoice.periodEnd),
    paid_at: apiTimestampOrNull(invoice.paidAt),
    created_at: apiTimestamp(invoice.createdAt),
  };
}
