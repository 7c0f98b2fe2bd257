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
      .describe("The bank account to pay, ba_...; by default the merchant's default account for the currency. Not with gateway_account."),
    gateway_account: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe(
        "Pay out from this Stripe gateway account's Stripe balance to its own bank account (gwa_...), instead of to one of our bank accounts. Stripe must hold the funds too: if it refuses for its balance, the payout fails with gateway_balance_insufficient and the money is available again. Not with bank_account.",
      ),
    description: z.string().max(500).optional().describe('Shown on the payout; never sent to the bank.'),
    metadata: metadataSchema.optional(),
  })
  .superRefine(checkAmountForCurrency)
  .superRefine((body, context) => {
    if (body.bank_account !== undefined && body.gateway_account !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['gateway_account'],
        message: 'Name either bank_account or gateway_account, not both: a gateway pays its own account’s bank account.',
      });
  });
export type CreatePayoutBody = z.output<typeof createPayoutBody>;

export const payoutIdParams = z.strictObject({ id: z.string().max(255).describe('The payout id, po_...') });

export const listPayoutsQuery = z.strictObject({
  status: z.enum(PAYOUT_STATUSES).optional().describe('Only payouts in this status.'),
  bank_account: z.string().max(255).optional().describe('Only payouts to this bank account.'),
  gateway_account: z.string().max(255).optional().describe('Only payouts from this gateway account.'),
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
      .describe(
        "The network's reference for the transfer once sent (sbt_... at the sandbox bank, po_... at Stripe): what its statement shows.",
      ),
    bank_account: z.string().nullable().describe('The bank account paid (ba_...); null for a payout through a gateway account.'),
    gateway_account: z
      .string()
      .nullable()
      .describe("The gateway account paid out from (gwa_...), whose gateway pays that account's own bank account; null otherwise."),
    bank_account_last4: z
      .string()
      .nullable()
      .describe("Last 4 of the destination account; for a gateway's payout, as the gateway reports it once sent (null before)."),
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
  .describe(
    'A payout of available funds to one of the merchant’s bank accounts, or through a gateway account (Stripe) to that account’s own bank account.',
  );

export const payoutListSchema = z.object({ object: z.literal('list'), data: z.array(payoutSchema), has_more: z.boolean() });
