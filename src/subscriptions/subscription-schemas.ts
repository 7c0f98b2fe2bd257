import { z } from 'zod';
import { SUBSCRIPTION_STATUSES } from './subscription-state';

const metadata = z.record(z.string().max(40), z.string().max(500)).refine((value) => Object.keys(value).length <= 50, 'at most 50 keys');

export const createSubscriptionBody = z.strictObject({
  customer: z.string().min(1).max(255).describe('The customer to bill, cus_...; charged with their default source.'),
  plan: z.string().min(1).max(255).describe('The plan, plan_...'),
  trial_period_days: z.number().int().min(0).max(730).optional().describe("Days of free trial; defaults to the plan's."),
  cancel_at_period_end: z.boolean().optional().describe('End at the end of the first paid period.'),
  metadata: metadata.optional(),
});
export type CreateSubscriptionBody = z.output<typeof createSubscriptionBody>;

export const subscriptionIdParams = z.strictObject({ id: z.string().max(255).describe('The subscription id, sub_...') });

export const cancelSubscriptionBody = z.strictObject({
  at_period_end: z.boolean().default(false).describe('Keep it until the end of the paid period (true) or end it now (false, the default).'),
});
export const emptyBody = z.strictObject({});
export const updateSubscriptionBody = z
  .strictObject({
    plan: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('Move to this plan (same currency and interval); the rest of the period is prorated onto the next invoice.'),
    cancel_at_period_end: z.boolean().optional().describe('true cancels at the end of the period, like POST /cancel with at_period_end.'),
  })
  .refine((body) => body.plan !== undefined || body.cancel_at_period_end !== undefined, { message: 'give plan or cancel_at_period_end' })
  .meta({ minProperties: 1 });

export const listSubscriptionsQuery = z.strictObject({
  customer: z.string().max(255).optional(),
  status: z.enum(SUBSCRIPTION_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().max(255).optional().describe('Cursor: the last id of the previous page.'),
});

export const subscriptionSchema = z
  .object({
    id: z.string(),
    object: z.literal('subscription'),
    customer: z.string(),
    plan: z.string(),
    status: z.enum(SUBSCRIPTION_STATUSES),
    billing_cycle_anchor: z.string().nullable(),
    current_period_start: z.string().nullable(),
    current_period_end: z.string().nullable(),
    trial_start: z.string().nullable(),
    trial_end: z.string().nullable(),
    cancel_at_period_end: z.boolean(),
    canceled_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    pause_collection: z.object({ paused_at: z.string().nullable() }).nullable(),
    latest_invoice: z.string().nullable(),
    next_billing_at: z.string().nullable().describe('When the next invoice (or dunning retry) is due.'),
    credit_balance: z.number().describe('Credit from downgrades, taken off the next invoices.'),
    currency: z.string(),
    metadata: z.record(z.string(), z.string()),
    created_at: z.string().nullable(),
  })
  .describe('A subscription: one long-running workflow, subscription-<id>, bills it.');
export const subscriptionListSchema = z.object({ object: z.literal('list'), data: z.array(subscriptionSchema), has_more: z.boolean() });
