import { z } from 'zod';
import { currency, majorAmount, metadataSchema } from '../payments/payment-schemas';
import { isSupportedCurrency, parseMajorAmount } from '../shared/money';
import { MAX_INTERVAL_COUNT, MAX_TRIAL_PERIOD_DAYS, PLAN_INTERVALS } from './plan-record';

export const createPlanBody = z
  .strictObject({
    name: z.string().min(1).max(256).describe('What the customer is subscribed to, e.g. "Pro monthly".'),
    amount: majorAmount.describe('What each billing period costs, in major units (19.90). No more decimals than the currency has.'),
    currency,
    interval: z.enum(PLAN_INTERVALS).describe('The unit of the billing period.'),
    interval_count: z
      .number()
      .int()
      .min(1)
      .max(365)
      .default(1)
      .describe(
        'Intervals per billing period (3 with month: quarterly). At most three years in all: 365 days, 156 weeks, 36 months, 3 years.',
      ),
    trial_period_days: z
      .number()
      .int()
      .min(0)
      .max(MAX_TRIAL_PERIOD_DAYS)
      .optional()
      .describe('Free days a new subscription starts with, 0-730.'),
    metadata: metadataSchema.optional(),
  })
  .superRefine((body, ctx) => {
    // Fields that failed their own checks are already reported; these checks need valid ones.
    if (typeof body.currency === 'string' && isSupportedCurrency(body.currency)) {
      const parsed = parseMajorAmount(body.amount, body.currency);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', path: ['amount'], message: `amount ${parsed.reason}` });
    }
    const max = PLAN_INTERVALS.includes(body.interval) ? MAX_INTERVAL_COUNT[body.interval] : undefined;
    if (max !== undefined && Number.isInteger(body.interval_count) && body.interval_count > max) {
      ctx.addIssue({
        code: 'custom',
        path: ['interval_count'],
        message: `interval_count is at most ${max} for interval ${body.interval} (three years)`,
      });
    }
  })
  .transform((body) => ({
    name: body.name,
    amountMinor: (parseMajorAmount(body.amount, body.currency) as { minor: number }).minor,
    currency: body.currency,
    interval: body.interval,
    intervalCount: body.interval_count,
    trialPeriodDays: body.trial_period_days ?? null,
    metadata: body.metadata ?? {},
  }));
export type CreatePlanRequest = z.output<typeof createPlanBody>;

export const planIdParams = z.strictObject({ id: z.string().max(255).describe('The plan id, plan_...') });

export const listPlansQuery = z.strictObject({
  active: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional()
    .describe('Only active (true) or inactive (false) plans.'),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().max(255).optional().describe('Cursor: the last id of the previous page.'),
});

export const planSchema = z
  .object({
    id: z.string(),
    object: z.literal('plan'),
    name: z.string(),
    amount: z.number().describe('Per billing period, in major units.'),
    currency: z.string(),
    interval: z.enum(PLAN_INTERVALS),
    interval_count: z.number().int(),
    trial_period_days: z.number().int().nullable(),
    active: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    created_at: z.string(),
  })
  .describe('A plan: a price charged every interval_count intervals.');

export const planListSchema = z.object({ object: z.literal('list'), data: z.array(planSchema), has_more: z.boolean() });
