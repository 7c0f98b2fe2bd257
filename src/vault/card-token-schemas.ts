import { z } from 'zod';

// Numbers arrive as typed; they are checked (and never echoed) by the vault, so the schema only bounds their size.
const twoOrFourDigits = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^\d{1,4}$/, 'must be a number')
    .transform(Number),
]);

export const createTokenBody = z.strictObject({
  card: z.strictObject({
    number: z
      .string()
      .min(1)
      .max(32)
      .meta({ pattern: '^[0-9]{13,19}$' })
      .describe(
        'The card number: 13-19 digits, spaces and dashes allowed. Test cards: 4242424242424242 (succeeds), 4000000000000002 (declined), ...',
      ),
    exp_month: twoOrFourDigits
      .meta({
        anyOf: [
          { type: 'integer', minimum: 1, maximum: 12 },
          { type: 'string', pattern: '^(0?[1-9]|1[0-2])$' },
        ],
      })
      .describe('Expiry month, 1-12.'),
    exp_year: twoOrFourDigits.describe('Expiry year, e.g. 2030 (or 30).'),
    cvc: z
      .string()
      .min(1)
      .max(8)
      .meta({ pattern: '^[0-9]{3,4}$' })
      .describe(
        'Security code: 3 digits, 4 for American Express. Checked for shape and discarded: never stored or logged (the sandbox has no issuer to check it with).',
      ),
  }),
});
export type CreateTokenBody = z.output<typeof createTokenBody>;

export const tokenSchema = z
  .object({
    id: z.string().describe('tok_...: use it as `source` for payments and customers. Only the merchant that created it can.'),
    object: z.literal('token'),
    card: z.object({
      brand: z.enum(['visa', 'mastercard', 'amex']),
      last4: z.string(),
      exp_month: z.number(),
      exp_year: z.number(),
      fingerprint: z.string().describe('The same card always has the same fingerprint.'),
    }),
    created_at: z.string(),
  })
  .describe('A card vault token.');
