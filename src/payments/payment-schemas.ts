import { z } from 'zod';
import { CURRENCY_EXPONENTS, isSupportedCurrency, parseMajorAmount } from '../shared/money';
import { SOURCE_TOKEN_PATTERN, HTTP_URL_PATTERN } from '../api/documented-formats';
import { MERCHANT_CANCELLATION_REASONS, PAYMENT_STATUSES, REVIEW_DECISIONS } from './payment-state';
import { routingDecisionSchema } from '../routing/routing-schemas';

export const currency = z
  .string()
  .min(3)
  .max(3)
  .transform((code) => code.toUpperCase())
  .refine(isSupportedCurrency, { message: 'unsupported currency; use an ISO 4217 code such as USD, EUR, JPY or KWD' })
  // Either case is taken; the document lists the codes as written both ways.
  .meta({ enum: Object.keys(CURRENCY_EXPONENTS).flatMap((code) => [code, code.toLowerCase()]) })
  .describe('Three-letter ISO 4217 currency code, e.g. USD.');

export const majorAmount = z
  .union([z.number(), z.string().max(32)])
  // Positive and below the largest amount in every currency (99,999,999.999 KWD); how many decimals depends on the currency.
  .meta({
    anyOf: [
      { type: 'number', exclusiveMinimum: 0, maximum: 99_999_999 },
      { type: 'string', pattern: '^0*([1-9][0-9]{0,7}(\\.[0-9]{1,3})?|0?\\.[0-9]{0,2}[1-9][0-9]{0,0})$' },
    ],
  })
  .describe(
    'Amount in major units, as a number or a decimal string (100.00 is one hundred dollars). No more decimals than the currency has.',
  );

export const metadataSchema = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((value) => Object.keys(value).length <= 50, { message: 'at most 50 keys' })
  .describe('Up to 50 string key-value pairs stored with the object.');

/** An address receipts go to; the same check as customers' emails. */
export const receiptEmail = z.email().max(254).describe('Where the receipt is emailed after the payment succeeds and after each refund.');

/**
 * An amount has no more decimals than its currency (JPY none, USD two, KWD three). The currency's own check has
 * already reported an unknown code; without one there are no decimals to check against.
 */
export function checkAmountForCurrency(body: { amount: number | string; currency: string }, ctx: z.RefinementCtx): void {
  if (!isSupportedCurrency(body.currency)) return;
  const parsed = parseMajorAmount(body.amount, body.currency);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', path: ['amount'], message: `amount ${parsed.reason}` });
}

/** The amount in minor units, once checkAmountForCurrency has passed. */
export function amountMinorOf(body: { amount: number | string; currency: string }): number {
  return (parseMajorAmount(body.amount, body.currency) as { minor: number }).minor;
}

export const createPaymentBody = z
  .strictObject({
    amount: majorAmount,
    currency,
    source: z
      .string()
      .min(1)
      .max(255)
      .meta({ pattern: SOURCE_TOKEN_PATTERN })
      .describe(
        'A payment source: a sandbox test token (tok_visa), a card token of our vault (tok_...), or, with a Stripe account, a Stripe PaymentMethod id (pm_...) made by Stripe.js.',
      ),
    description: z.string().max(1000).optional(),
    capture: z.boolean().default(true).describe('Capture at once (default) or only authorize and capture later.'),
    metadata: metadataSchema.optional(),
    gateway_account: z
      .string()
      .regex(/^gwa_[0-9A-Za-z]{1,64}$/, 'must be a gateway account id')
      .optional()
      .describe(
        "Charge through this one of the merchant's gateway accounts instead of the routing order; it must be enabled, of the merchant's mode, and take the currency and source.",
      ),
    return_url: z
      .string()
      .max(2000)
      .regex(new RegExp(HTTP_URL_PATTERN), 'must be an absolute http(s) URL')
      .optional()
      .describe(
        "Where the customer comes back after authenticating on the gateway's page (3-D Secure); without it the gateway asks for its SDK.",
      ),
    receipt_email: receiptEmail.optional(),
  })
  .superRefine(checkAmountForCurrency)
  .transform((body) => ({
    amountMinor: amountMinorOf(body),
    currency: body.currency,
    source: body.source,
    description: body.description ?? null,
    captureMethod: body.capture ? ('automatic' as const) : ('manual' as const),
    metadata: body.metadata ?? {},
    returnUrl: body.return_url ?? null,
    gatewayAccount: body.gateway_account ?? null,
    // Only when given: the request's hash (its Idempotency-Key's identity) stays what it was before receipts, across a deploy.
    ...(body.receipt_email ? { receiptEmail: body.receipt_email } : {}),
  }));
export type CreatePaymentRequest = z.output<typeof createPaymentBody>;

export const capturePaymentBody = z.strictObject({
  amount: majorAmount.optional().describe('Amount to capture, in major units; defaults to the whole authorization. The rest is released.'),
});

export const cancelPaymentBody = z.strictObject({
  cancellation_reason: z.enum(MERCHANT_CANCELLATION_REASONS).default('requested_by_customer'),
});

export const reviewPaymentBody = z.strictObject({
  decision: z.enum(REVIEW_DECISIONS).describe('approve: the payment goes on to authorization; decline: it fails with review_declined.'),
  note: z.string().max(500).optional().describe("Kept with the decision in the workflow's state, for ops; not shown to the merchant."),
});

// Any id is accepted here: one that is malformed simply does not exist, and answers the contract's 404.
export const paymentIdParams = z.strictObject({
  id: z.string().max(255).describe('The payment id, pay_...'),
});

export const listPaymentsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(10).describe('How many payments to return, 1-100.'),
  starting_after: z
    .string()
    .regex(/^pay_[0-9A-Za-z]{1,64}$/, 'must be a payment id')
    .optional()
    .describe('Cursor: the last id of the previous page.'),
});

export const paymentSchema = z
  .object({
    id: z.string(),
    object: z.literal('payment'),
    amount: z.number(),
    amount_capturable: z.number(),
    amount_received: z.number(),
    amount_refunded: z.number(),
    currency: z.string(),
    status: z.enum([...PAYMENT_STATUSES, 'refunded']).describe('refunded is shown once refunds add up to the captured amount.'),
    capture_method: z.enum(['automatic', 'manual']),
    source: z.string(),
    description: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    fee: z.number(),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    cancellation_reason: z.string().nullable(),
    livemode: z.boolean(),
    gateway: z.string().describe('The gateway the payment went through: sandbox or stripe.'),
    gateway_account: z.string().nullable().describe('The gateway account (gwa_...); null for the built-in sandbox.'),
    gateway_reference: z.string().nullable().describe("The gateway's own id for the payment (Stripe: the PaymentIntent pi_...)."),
    next_action: z
      .object({ type: z.enum(['redirect_to_url', 'use_gateway_sdk']), redirect_to_url: z.object({ url: z.string() }).nullable() })
      .nullable()
      .describe("While requires_action: send the customer to redirect_to_url.url, or confirm with the gateway's SDK."),
    hold_reason: z
      .string()
      .nullable()
      .describe('While held: gateway_outcome_unknown (the gateway has not confirmed; it is being looked up).'),
    attempts: z
      .array(
        z.object({
          gateway: z.string(),
          gateway_account: z.string().nullable(),
          outcome: z.enum(['approved', 'requires_action', 'declined']),
          failure_code: z.string().nullable(),
          failed_over: z.boolean().describe('A soft decline or an outage the payment failed over from to the next account.'),
          started_at: z.string(),
          finished_at: z.string(),
        }),
      )
      .describe("Each authorization attempt when the payment could fail over between the merchant's gateway accounts; empty otherwise."),
    routing: routingDecisionSchema
      .nullable()
      .describe(
        'Why the payment went to its account (GET /v1/routing); null when it named `gateway_account`, took the built-in sandbox, or predates routing.',
      ),
    receipt_url: z
      .string()
      .nullable()
      .describe("The customer's receipt page (HTML, no key needed: the link is the key); null until the payment has succeeded."),
    created_at: z.string(),
    captured_at: z.string().nullable(),
    canceled_at: z.string().nullable(),
    authorization_expires_at: z.string().nullable(),
  })
  .describe('A payment.');

export const paymentListSchema = z.object({ object: z.literal('list'), data: z.array(paymentSchema), has_more: z.boolean() });
