import { z } from 'zod';
import { checkAmountForCurrency, currency, majorAmount, metadataSchema } from '../payments/payment-schemas';
import { PAYOUT_FAILURE_CODES, PAYOUT_STATUSES } from './payout-state';

export const createPayoutBody = z
  .strictObject({
    amount: majorAmount.describe(
      'Amount in major units to send to the bank. It and the payout fee (if the merchant has one) must be covered by the available balance in the currency.',
    ),
    currency,
    bank_account: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe("The bank account to pay, ba_...; by default the merchant's default account for the currency."),
    description: z.string().max(500).optional().describe('Shown on the payout; never sent to the bank.'),
    metadata: metadataSchema.optional(),
  })
  .superRefine(checkAmountForCurrency);
export type CreatePayoutBody = z.output<typeof createPayoutBody>;

export const payoutIdParams = z.strictObject({ id: z.string().max(255).describe('The payout id, po_...') });

export const listPayoutsQuery = z.strictObject({
  status: z.enum(PAYOUT_STATUSES).optional().describe('Only payouts in this status.'),
  bank_account: z.string().max(255).optional().describe('Only payouts to this bank account.'),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().max(255).optional().describe('Cursor: the last id of the previous page.'),
});

export const payoutSchema = z
  .object({
    id: z.string(),
    object: z.literal('payout'),
    amount: z.number(),
    fee: z
      .number()
      .describe('The payout fee taken from the available balance beside the amount; returned if the payout fails or is canceled.'),
    currency: z.string(),
    status: z
      .enum(PAYOUT_STATUSES)
      .describe(
        'pending (cancelable, not yet sent), in_transit (sent to the bank), paid, failed (refused by the bank, or returned after paid: see returned), canceled.',
      ),
    arrival_date: z.string().nullable().describe('The day (YYYY-MM-DD, UTC) the bank expects the money to arrive; set once sent.'),
    bank_reference: z
      .string()
      .nullable()
      .describe("The bank's reference for the transfer once sent (sbt_... at the sandbox bank): what the bank's statement shows."),
    bank_account: z.string(),
    bank_account_last4: z.string(),
    automatic: z.boolean().describe("Made by the merchant's payout schedule rather than by POST /v1/payouts."),
    method: z.literal('standard'),
    description: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    failure_code: z.enum(PAYOUT_FAILURE_CODES).nullable(),
    failure_message: z.string().nullable(),
    returned: z.boolean().describe('The bank paid it, then sent it back (a late failure): the amount is available again.'),
    livemode: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .describe('A payout of available funds to one of the merchant’s bank accounts.');

export const payoutListSchema = z.object({ object: z.literal('list'), data: z.array(payoutSchema), has_more: z.boolean() });
