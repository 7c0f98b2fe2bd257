import { z } from 'zod';
import { BILLING_REASONS, INVOICE_STATUSES } from './invoice-record';

export const invoiceIdParams = z.strictObject({ id: z.string().max(255).describe('The invoice id, in_...') });

export const listInvoicesQuery = z.strictObject({
  subscription: z.string().max(255).optional().describe('Only the invoices of this subscription, sub_...'),
  customer: z.string().max(255).optional().describe('Only the invoices of this customer, cus_...'),
  status: z.enum(INVOICE_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().max(255).optional().describe('Cursor: the last id of the previous page.'),
});

const invoiceLineSchema = z
  .object({
    type: z
      .enum(['subscription', 'proration'])
      .describe('subscription: the plan for a period; proration: a credit (negative) or charge for part of a period after a plan change.'),
    description: z.string(),
    amount: z.number().describe('Signed, in major units.'),
    plan: z.string().describe('The plan the line prices, plan_...'),
    period: z.object({ start: z.string(), end: z.string() }),
  })
  .describe('One line of an invoice.');

export const invoiceSchema = z
  .object({
    id: z.string(),
    object: z.literal('invoice'),
    subscription: z.string(),
    customer: z.string(),
    status: z.enum(INVOICE_STATUSES),
    billing_reason: z.enum(BILLING_REASONS),
    currency: z.string(),
    lines: z.array(invoiceLineSchema),
    subtotal: z.number().describe('The sum of the lines.'),
    credit_applied: z.number().describe('Credit from earlier downgrades taken off this invoice.'),
    amount_due: z.number(),
    amount_paid: z.number(),
    amount_remaining: z.number().describe('amount_due - amount_paid.'),
    attempt_count: z.number().int().describe('Charges attempted so far.'),
    next_payment_attempt: z.string().nullable().describe('When the next charge is attempted, while the invoice is open.'),
    last_payment: z.string().nullable().describe('The latest payment attempted for the invoice, pay_...'),
    last_failure_code: z.string().nullable().describe('Why the latest attempt failed, e.g. insufficient_funds.'),
    period_start: z.string(),
    period_end: z.string(),
    paid_at: z.string().nullable(),
    created_at: z.string(),
  })
  .describe('An invoice of a subscription: what one billing period costs and how its collection goes.');

export const invoiceListSchema = z.object({ object: z.literal('list'), data: z.array(invoiceSchema), has_more: z.boolean() });
