import { z } from 'zod';
import { PERIOD_PATTERN } from '../billing/billing-period';

export const subscriptionReportQuery = z.strictObject({
  month: z
    .string()
    .regex(PERIOD_PATTERN, 'must be a month written YYYY-MM, such as 2026-10')
    .describe('The calendar month (UTC), YYYY-MM; not after the current month.'),
});

const countAndAmount = z.object({ count: z.number().int(), amount: z.number() });
const countAndMrr = z.object({ count: z.number().int(), mrr: z.number() });

export const subscriptionReportCurrencySchema = z
  .object({
    currency: z.string(),
    mrr: z
      .number()
      .describe(
        'Monthly recurring revenue at the end of the month (now, for the current month): the plans of the subscriptions active or past due then, normalised to a month.',
      ),
    mrr_start: z.number().describe('The same at the start of the month.'),
    new: countAndMrr.describe('Subscriptions created in the month, and the MRR they contribute at its end.'),
    churned: countAndMrr.describe('Subscriptions that ended in the month, and the MRR they had before they were canceled.'),
    net_mrr_change: z.number().describe('mrr − mrr_start: besides new and churned, trials converting, pauses and dunning.'),
    invoices_paid: countAndAmount.describe('Invoices paid in the month, and the amount paid.'),
    failed_payments: countAndAmount.describe('Invoices with a failed payment attempt in the month, and their amount due.'),
    recovered: z
      .object({
        count: z.number().int(),
        amount: z.number(),
        rate: z.number().nullable().describe('recovered / failed_payments, to four decimals; null when nothing failed.'),
      })
      .describe('Of the invoices that failed in the month, those paid after the failure and before the month ended.'),
  })
  .describe("One currency's figures; amounts in major units.");

export const subscriptionReportSchema = z
  .object({
    object: z.literal('subscription_report'),
    month: z.string(),
    as_of: z.string().describe('The instant the figures are as of: the end of the month, or now for the current month.'),
    stored: z
      .boolean()
      .describe(
        'true: stored by the monthly run on the 1st; false: computed for this request (the current month, or a month never stored).',
      ),
    currencies: z.array(subscriptionReportCurrencySchema),
  })
  .describe("A merchant's subscription figures for one month.");

export const listSubscriptionChecksQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(10) });

const pastDueInvoiceSchema = z.object({
  invoice: z.string(),
  merchant_id: z.string(),
  subscription: z.string(),
  reasons: z.array(z.enum(['payment_attempt_overdue', 'no_payment_attempt_scheduled', 'open_past_dunning_horizon'])),
  amount_remaining: z.number(),
  currency: z.string(),
  attempt_count: z.number().int(),
  next_payment_attempt: z.string().nullable(),
  created_at: z.string(),
});
const stuckSubscriptionSchema = z.object({
  subscription: z.string(),
  merchant_id: z.string(),
  status: z.string(),
  reasons: z.array(z.enum(['workflow_missing', 'workflow_closed', 'billing_overdue'])),
  workflow_id: z.string(),
  workflow_status: z.string().nullable().describe('RUNNING, COMPLETED, TERMINATED, ...; null when the workflow was not found.'),
  next_billing_at: z.string().nullable(),
});

export const subscriptionCheckSchema = z
  .object({
    id: z.string(),
    object: z.literal('subscription_check'),
    as_of: z.string(),
    clean: z.boolean(),
    summary: z.object({
      invoices_past_due: z.number().int(),
      subscriptions_checked: z.number().int(),
      subscriptions_stuck: z.number().int(),
      workflows_missing: z.number().int(),
      workflows_closed: z.number().int(),
      billing_overdue: z.number().int(),
    }),
    findings: z.object({
      past_due_invoices: z.array(pastDueInvoiceSchema),
      stuck_subscriptions: z.array(stuckSubscriptionSchema),
      truncated: z.boolean().describe('More were found than are kept (1,000 of each kind); the summary counts them all.'),
    }),
    created: z.string(),
  })
  .describe('One run of the daily subscription check.');

export const subscriptionCheckListSchema = z.object({ object: z.literal('list'), data: z.array(subscriptionCheckSchema) });
