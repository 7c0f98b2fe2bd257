/** A subscription invoice as stored in `invoices`. Pure: workflows may import it. */
import type { InvoiceLine } from '../subscriptions/invoice-lines';

export const INVOICE_STATUSES = ['draft', 'open', 'paid', 'uncollectible', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];
export const BILLING_REASONS = ['subscription_create', 'subscription_cycle', 'subscription_update'] as const;
export type BillingReason = (typeof BILLING_REASONS)[number];

/** A Date, or the same instant as an ISO 8601 string (as workflow state carries it). */
export type Timestamp = Date | string;

/**
 * What the API shows of an invoice. The field names are those of the subscription workflow's
 * invoice state (with `id` for its invoiceId), so either a stored row or that state renders.
 */
export interface RenderableInvoice {
  id: string;
  subscriptionId: string;
  customerId: string;
  status: InvoiceStatus;
  billingReason: BillingReason;
  currency: string;
  lines: InvoiceLine[];
  subtotalMinor: number;
  creditAppliedMinor: number;
  amountDueMinor: number;
  amountPaidMinor: number;
  attemptCount: number;
  nextPaymentAttempt: Timestamp | null;
  lastPaymentId: string | null;
  lastFailureCode: string | null;
  periodStart: Timestamp;
  periodEnd: Timestamp;
  paidAt: Timestamp | null;
  createdAt: Timestamp;
}

export interface InvoiceRecord extends RenderableInvoice {
  merchantId: string;
  cycle: number;
  markedUncollectibleAt: Date | null;
  voidedAt: Date | null;
  version: number;
  updatedAt: Date;
}
