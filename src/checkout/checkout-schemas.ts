import { z } from 'zod';
import { HTTP_URL_PATTERN } from '../api/documented-formats';
import { amountMinorOf, checkAmountForCurrency, currency, majorAmount, metadataSchema } from '../payments/payment-schemas';
import { CHECKOUT_PAYMENT_STATUSES, CHECKOUT_STATUSES } from './checkout-state';

export const MIN_CHECKOUT_EXPIRY_SECONDS = 30 * 60;
export const MAX_CHECKOUT_EXPIRY_SECONDS = 24 * 3600;

const redirectUrl = (what: string) =>
  z
    .string()
    .min(1)
    .max(2000)
    .regex(new RegExp(HTTP_URL_PATTERN), 'must be an absolute http(s) URL')
    .meta({ format: 'uri' })
    .describe(`${what} Live mode: https only. We add session_id, payment_id, payment_status, provider_payment_id and signature.`);

export const createCheckoutSessionBody = z
  .strictObject({
    amount: majorAmount,
    currency,
    description: z.string().max(1000).optional().describe('Shown to the customer on the page and kept on the payment.'),
    customer: z
      .string()
      .regex(/^cus_[0-9A-Za-z]{1,64}$/, 'must be a customer id')
      .optional()
      .describe("One of the merchant's customers; their email is used for the receipt unless customer_email is given."),
    customer_email: z.email().max(254).optional().describe('Where the receipt goes after the payment.'),
    success_url: redirectUrl('Where the customer is sent once the payment succeeded (or is authorized, without capture).'),
    cancel_url: redirectUrl('Where the customer is sent when they go back without paying.'),
    expires_in: z
      .number()
      .int()
      .min(MIN_CHECKOUT_EXPIRY_SECONDS)
      .max(MAX_CHECKOUT_EXPIRY_SECONDS)
      .optional()
      .describe('Seconds until the session expires: 1800 (30 minutes) to 86400 (24 hours, the default).'),
    capture: z.boolean().default(true).describe('Capture at once (default), or only authorize and capture later through the payment.'),
    metadata: metadataSchema.optional(),
  })
  .superRefine(checkAmountForCurrency)
  .transform((body) => ({
    amountMinor: amountMinorOf(body),
    currency: body.currency,
    description: body.description ?? null,
    customerId: body.customer ?? null,
    customerEmail: body.customer_email ?? null,
    successUrl: body.success_url,
    cancelUrl: body.cancel_url,
    expiresInSeconds: body.expires_in ?? MAX_CHECKOUT_EXPIRY_SECONDS,
    captureMethod: body.capture ? ('automatic' as const) : ('manual' as const),
    metadata: body.metadata ?? {},
  }));
export type CreateCheckoutSessionRequest = z.output<typeof createCheckoutSessionBody>;

export const checkoutSessionIdParams = z.strictObject({ id: z.string().max(255).describe('The checkout session id, cs_...') });

export const listCheckoutSessionsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(10).describe('How many sessions to return, 1-100.'),
  starting_after: z
    .string()
    .regex(/^cs_[0-9A-Za-z]{1,64}$/, 'must be a checkout session id')
    .optional()
    .describe('Cursor: the last id of the previous page.'),
  status: z.enum(CHECKOUT_STATUSES).optional().describe('Only sessions in this status.'),
});

export const checkoutSessionSchema = z
  .object({
    id: z.string(),
    object: z.literal('checkout.session'),
    url: z.string().nullable().describe('The hosted payment page to send the customer to; null once the session is complete or expired.'),
    status: z.enum(CHECKOUT_STATUSES),
    payment_status: z.enum(CHECKOUT_PAYMENT_STATUSES),
    payment: z.string().nullable().describe("The latest attempt's payment id (the paid one once complete)."),
    amount: z.number(),
    currency: z.string(),
    description: z.string().nullable(),
    customer: z.string().nullable(),
    customer_email: z.string().nullable(),
    success_url: z.string(),
    cancel_url: z.string(),
    capture_method: z.enum(['automatic', 'manual']),
    metadata: z.record(z.string(), z.string()),
    livemode: z.boolean(),
    attempts: z.number().describe('Card attempts made on the page so far.'),
    expires_at: z.string(),
    completed_at: z.string().nullable(),
    created_at: z.string(),
  })
  .describe('A checkout session: a hosted payment page for one amount.');

export const checkoutSessionListSchema = z.object({
  object: z.literal('list'),
  data: z.array(checkoutSessionSchema),
  has_more: z.boolean(),
});

export const checkoutSettingsSchema = z
  .object({
    object: z.literal('checkout.settings'),
    signing_secret: z.string().describe('Verifies the signature on the redirect back from the page (HMAC-SHA256, see the README).'),
    created_at: z.string(),
  })
  .describe("The merchant's checkout signing secret.");
