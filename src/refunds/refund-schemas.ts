import { z } from 'zod';
import { metadataSchema } from '../payments/payment-schemas';
import { REFUND_REASONS, REFUND_STATUSES } from './refund-state';

export const createRefundBody = z.strictObject({
  payment_id: z.string().min(1).max(255).describe('The payment to refund, pay_...'),
  amount: z
    .union([z.number(), z.string().max(32)])
    .optional()
    .describe('Amount in major units; defaults to everything still refundable. Several partial refunds may add up to the captured amount.'),
  reason: z.enum(REFUND_REASONS).optional(),
  metadata: metadataSchema.optional(),
});
export type CreateRefundBody = z.output<typeof createRefundBody>;

export const refundIdParams = z.strictObject({ id: z.string().max(255).describe('The refund id, re_...') });

export const listRefundsQuery = z.strictObject({
  payment_id: z.string().max(255).optional().describe('Only the refunds of this payment.'),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().max(255).optional().describe('Cursor: the last id of the previous page.'),
});

export const refundSchema = z
  .object({
    id: z.string(),
    object: z.literal('refund'),
    payment_id: z.string(),
    amount: z.number(),
    currency: z.string(),
    status: z.enum(REFUND_STATUSES),
    reason: z.enum(REFUND_REASONS).nullable(),
    metadata: z.record(z.string(), z.string()),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    created_at: z.string(),
  })
  .describe('A refund.');

export const refundListSchema = z.object({ object: z.literal('list'), data: z.array(refundSchema), has_more: z.boolean() });
