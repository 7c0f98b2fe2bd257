import { z } from 'zod';
import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses } from '../api/common-schemas';
import type { MerchantService } from './merchant-service';

const createMerchantBody = z.strictObject({
  name: z.string().trim().min(1).max(200).describe("The merchant's display name."),
  fee_percent_bps: z.number().int().min(0).max(10_000).optional().describe('Processing fee percentage in basis points (290 = 2.9%).'),
  fee_fixed_minor: z.number().int().min(0).max(100_000).optional().describe('Fixed processing fee per capture, in minor units.'),
  max_payment_amount_minor: z
    .number()
    .int()
    .positive()
    .max(99_999_999_999)
    .optional()
    .describe('Fraud rule: the largest single payment, in minor units.'),
  settlement_delay_days: z
    .number()
    .int()
    .min(0)
    .max(60)
    .optional()
    .describe('Days a capture stays pending before it becomes available (default SETTLEMENT_DELAY_DAYS, 2).'),
  payout_fee_minor: z
    .number()
    .int()
    .min(0)
    .max(100_000)
    .optional()
    .describe(
      "Fixed fee per payout, in the payout currency's minor units, taken from the available balance beside the amount (default none).",
    ),
  livemode: z.boolean().default(false).describe('Live mode: sk_live_ keys, https-only public webhook endpoints, no test helpers.'),
});

const createdMerchantSchema = z.object({
  id: z.string(),
  object: z.literal('merchant'),
  name: z.string(),
  livemode: z.boolean(),
  created_at: z.string(),
  api_key: z.string().describe('The secret key, shown once. Only its hash is stored.'),
});

/** The admin endpoint that onboards merchants. */
export function merchantRoutes(merchants: MerchantService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/merchants',
      operationId: 'createMerchant',
      tags: ['Merchants'],
      auth: 'admin',
      summary: 'Create a merchant (admin key)',
      body: createMerchantBody,
      responses: { 201: { description: 'The merchant and its secret key.', schema: createdMerchantSchema }, ...errorResponses },
      async handle({ body }) {
        const { merchant, apiKey } = await merchants.create({
          name: body.name,
          livemode: body.livemode,
          feePercentBps: body.fee_percent_bps,
          feeFixedMinor: body.fee_fixed_minor,
          maxPaymentAmountMinor: body.max_payment_amount_minor,
          settlementDelayDays: body.settlement_delay_days,
          payoutFeeMinor: body.payout_fee_minor,
        });
        return {
          status: 201,
          body: {
            id: merchant.id,
            object: 'merchant',
            name: merchant.name,
            livemode: merchant.livemode,
            created_at: merchant.createdAt.toISOString(),
            api_key: apiKey,
          },
        };
      },
    }),
  ];
}
