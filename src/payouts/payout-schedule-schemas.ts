import { z } from 'zod';
import { majorAmount } from '../payments/payment-schemas';
import { CURRENCY_EXPONENTS } from '../shared/money';
import { PAYOUT_INTERVALS, WEEKDAYS } from './payout-schedule-record';

const currencyCodes = Object.keys(CURRENCY_EXPONENTS).flatMap((code) => [code, code.toLowerCase()]) as [string, ...string[]];

export const updatePayoutScheduleBody = z.strictObject({
  interval: z
    .enum(PAYOUT_INTERVALS)
    .optional()
    .describe('`manual`: payouts only by POST /v1/payouts. `daily`, `weekly` or `monthly`: the available balance is paid out on its own.'),
  weekly_anchor: z
    .enum(WEEKDAYS)
    .optional()
    .describe('The day weekly payouts run; needed when the interval is (or becomes) weekly, refused with any other interval.'),
  monthly_anchor: z
    .number()
    .int()
    .min(1)
    .max(31)
    .optional()
    .describe(
      'The day of the month monthly payouts run; a month shorter than the anchor pays out on its last day. Needed when the interval is (or becomes) monthly, refused with any other.',
    ),
  delay_days: z
    .number()
    .int()
    .min(0)
    .max(30)
    .optional()
    .describe('Funds are paid out once they have been available for this many days (0: everything available at the run).'),
  minimum_amounts: z
    .partialRecord(z.enum(currencyCodes), majorAmount)
    .optional()
    .describe(
      'Per currency, in major units, the smallest payout worth sending: a run with less leaves the money for the next. Replaces the whole map; a currency not listed has no minimum.',
    ),
  gateway_account: z
    .string()
    .min(1)
    .max(255)
    .nullable()
    .optional()
    .describe(
      "Pay out through this Stripe gateway account (gwa_...): each run pays each currency the account takes out of its Stripe balance to the account's own bank account, as POST /v1/payouts with `gateway_account` would, and needs no bank account here. Null: the merchant's default bank account of each currency (the default).",
    ),
});
export type UpdatePayoutScheduleBody = z.output<typeof updatePayoutScheduleBody>;

export const pausePayoutsBody = z.strictObject({
  reason: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .describe("Why the merchant's payouts are paused: kept with the settings and shown as the Temporal Schedule's note."),
});
export type PausePayoutsBody = z.output<typeof pausePayoutsBody>;

export const merchantIdParams = z.strictObject({ id: z.string().max(255).describe('The merchant id, mer_...') });

export const payoutScheduleSchema = z
  .object({
    object: z.literal('payout_schedule'),
    interval: z.enum(PAYOUT_INTERVALS),
    weekly_anchor: z.enum(WEEKDAYS).nullable(),
    monthly_anchor: z.number().int().nullable(),
    delay_days: z.number().int(),
    minimum_amounts: z.record(z.string(), z.number()).describe('Per currency, the smallest automatic payout, in major units.'),
    gateway_account: z
      .string()
      .nullable()
      .describe('The Stripe gateway account automatic payouts go through; null: the default bank account of each currency.'),
    paused: z.boolean().describe('Paused by the platform: no payout is made, automatic or requested, until it is resumed.'),
    run_hour_utc: z.number().int().describe('The hour (UTC) automatic payouts run on their day.'),
    updated_at: z.string().nullable().describe('Null while the merchant has never changed the defaults.'),
  })
  .describe("The merchant's automatic payout settings.");

export const adminPayoutScheduleSchema = payoutScheduleSchema
  .extend({
    merchant: z.string(),
    paused_reason: z.string().nullable().describe("Ops' note on why payouts are paused."),
  })
  .describe("A merchant's payout settings as ops see them.");
