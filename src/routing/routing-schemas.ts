import { z } from 'zod';
import { CARD_BRANDS, MAX_ATTEMPTS_LIMIT } from './routing-rules';

// Letters, digits and underscores only, as every gateway account id is: anything else cannot name one.
const accountId = z
  .string()
  .max(255)
  .regex(/^[A-Za-z0-9_]+$/)
  .describe('A gateway account id (gwa_...) of this merchant, of its mode.');
// Bounds are compared with the payment's `amount`, in major units; the largest payment amount fits well below this.
const amountBound = z.number().min(0).max(1e12);

const match = z
  .strictObject({
    currencies: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z]{3}$/)
          .transform((code) => code.toUpperCase()),
      )
      .min(1)
      .max(50)
      .optional()
      .describe('ISO 4217 codes; the rule fits payments in one of them.'),
    card_brands: z
      .array(z.enum(CARD_BRANDS))
      .min(1)
      .max(CARD_BRANDS.length)
      .optional()
      .describe('The rule fits payments whose card is of one of these brands; a source whose brand is unknown never fits.'),
    min_amount: amountBound
      .optional()
      .describe("The rule fits payments of at least this amount, in major units of the payment's currency."),
    max_amount: amountBound.optional().describe("The rule fits payments of at most this amount, in major units of the payment's currency."),
  })
  .describe('What a payment must look like for this rule to decide its route; absent criteria match anything.');

const rule = z.strictObject({
  match: match.optional(),
  accounts: z
    .array(accountId)
    .min(1)
    .max(20)
    .describe('The accounts a fitting payment may go to, in the order they are tried (disabled ones are skipped).'),
  split: z
    .array(
      z.strictObject({
        gateway_account: accountId.describe("One of the rule's `accounts`."),
        weight: z.number().int().min(1).max(100).describe('Relative share of payments that try this account first.'),
      }),
    )
    .min(1)
    .max(20)
    .optional()
    .describe(
      'Volume split: which account goes first is drawn by weight (once, when the payment is created); the others follow in `accounts` order.',
    ),
});

export const putRoutingBody = z.strictObject({
  rules: z
    .array(rule)
    .max(50)
    .describe(
      'Tried in order: the first whose `match` fits a payment decides its accounts. None fitting: all eligible accounts by priority.',
    ),
  max_attempts: z
    .number()
    .int()
    .min(1)
    .max(MAX_ATTEMPTS_LIMIT)
    .optional()
    .describe(
      'Authorization attempts per payment at most, the first included (default 3): how far a soft decline or an outage fails over.',
    ),
});
export type PutRoutingBody = z.output<typeof putRoutingBody>;

const ruleJson = z.object({
  match: z
    .object({
      currencies: z.array(z.string()).optional(),
      card_brands: z.array(z.enum(CARD_BRANDS)).optional(),
      min_amount: z.number().optional(),
      max_amount: z.number().optional(),
    })
    .optional(),
  accounts: z.array(z.string()),
  split: z.array(z.object({ gateway_account: z.string(), weight: z.number().int() })).optional(),
});

export const routingSchema = z
  .object({
    object: z.literal('routing'),
    version: z.number().int().describe('0 before the first PUT; each PUT stores the next version, never changing an earlier one.'),
    rules: z.array(ruleJson),
    max_attempts: z.number().int(),
    created_at: z.string().nullable(),
  })
  .describe("The merchant's routing configuration across its gateway accounts.");

export const routingDecisionSchema = z
  .object({
    routing_version: z.number().int().describe('The routing configuration version the payment was routed by.'),
    rule: z.number().int().nullable().describe('The index of the rule that fitted; null: no rule fitted, the accounts went by priority.'),
    eligible: z
      .array(z.string())
      .describe('The accounts the payment may try, in order: the chosen one first, then where it fails over to.'),
    split_draw: z.number().nullable().describe("The number in [0, 1) drawn for the rule's split; null without a split."),
    chosen: z.string(),
    skipped: z.array(z.object({ gateway_account: z.string(), reason: z.enum(['cooling_down', 'currency', 'disabled', 'source']) })),
  })
  .describe('Why the payment went to its account, decided once at creation.');
