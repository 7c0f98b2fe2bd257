import { z } from 'zod';
import { GATEWAY_NAMES } from '../gateways/gateway-connector';

const currencyList = z
  .array(
    z
      .string()
      .regex(/^[A-Za-z]{3}$/)
      .transform((code) => code.toUpperCase()),
  )
  .max(50)
  .describe('ISO 4217 codes this account takes (e.g. ["USD", "EUR"]); empty or absent: every currency.');
const priority = z
  .number()
  .int()
  .min(0)
  .max(10_000)
  .describe("Routing order among the merchant's accounts: lower is tried first (default 100).");
const description = z.string().max(500);
// The server takes any map of strings and names every problem itself (every missing key at once, in seed 003's words);
// the document states each gateway's exact shape, so generated clients send what the server takes.
const STRIPE_CREDENTIALS_SHAPE = {
  type: 'object',
  properties: {
    secret_key: {
      type: 'string',
      pattern: '^(sk|rk)_(test|live)_[A-Za-z0-9]+$',
      maxLength: 1024,
      description: "The Stripe account's secret or restricted key: sk_test_/rk_test_ for a test-mode merchant, sk_live_/rk_live_ for live.",
    },
    webhook_secret: {
      type: 'string',
      pattern: '^whsec_[A-Za-z0-9+/=_-]+$',
      maxLength: 1024,
      description: "The signing secret of the Stripe webhook endpoint that points at this account's webhook_url_path.",
    },
  },
  required: ['secret_key'],
  additionalProperties: false,
};
const ADYEN_CREDENTIALS_SHAPE = {
  type: 'object',
  properties: {
    api_key: {
      type: 'string',
      pattern: '^[!-~]{8,1000}$',
      maxLength: 1000,
      description: 'The X-API-Key of the Adyen web service user (Customer Area > Developers > API credentials).',
    },
    merchant_account: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.-]{1,255}$',
      maxLength: 255,
      description: 'The merchant account the key acts for, as Adyen shows it.',
    },
    hmac_key: {
      type: 'string',
      pattern: '^(?:[0-9A-Fa-f]{2}){16,}$',
      maxLength: 1024,
      description: "The HMAC key of the Adyen webhook that points at this account's webhook_url_path, in hex.",
    },
    live_url_prefix: {
      type: 'string',
      pattern: '^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$',
      maxLength: 255,
      description: 'Live mode only: the live endpoint URL prefix ([random]-[company name]) from the Customer Area.',
    },
  },
  required: ['api_key', 'merchant_account', 'hmac_key'],
  additionalProperties: false,
};
const NO_CREDENTIALS_SHAPE = { type: 'object', properties: {}, additionalProperties: false, maxProperties: 0 };
const credentialMap = () => z.record(z.string().max(64), z.string().max(1024));
const stripeCredentials = credentialMap()
  .meta(STRIPE_CREDENTIALS_SHAPE)
  .describe('Stored encrypted; never shown again except the last 4 characters of secret_key.');
const adyenCredentials = credentialMap()
  .meta(ADYEN_CREDENTIALS_SHAPE)
  .describe('Stored encrypted; never shown again except the last 4 characters of api_key.');
const sandboxCredentials = credentialMap().meta(NO_CREDENTIALS_SHAPE).describe('The sandbox takes no credentials.');

const accountSettings = {
  currencies: currencyList.optional(),
  description: description.optional(),
  priority: priority.optional(),
};

export const createGatewayAccountBody = z.discriminatedUnion('gateway', [
  z.strictObject({
    gateway: z.literal('stripe').describe('Which gateway the account is at.'),
    credentials: stripeCredentials,
    ...accountSettings,
  }),
  z.strictObject({ gateway: z.literal('adyen'), credentials: adyenCredentials, ...accountSettings }),
  z.strictObject({ gateway: z.literal('sandbox'), credentials: sandboxCredentials.default({}), ...accountSettings }),
]);
export type CreateGatewayAccountBody = z.output<typeof createGatewayAccountBody>;

export const updateGatewayAccountBody = z.strictObject({
  priority: priority.optional(),
  currencies: currencyList.optional(),
  description: description.nullable().optional(),
  disabled: z.boolean().optional().describe('A disabled account takes no new payments; refunds of its payments still go through it.'),
  credentials: credentialMap()
    .meta({ oneOf: [STRIPE_CREDENTIALS_SHAPE, ADYEN_CREDENTIALS_SHAPE, NO_CREDENTIALS_SHAPE] })
    .optional()
    .describe(
      "New credentials in the account's gateway's shape (all keys, e.g. to rotate a key or add the webhook_secret); verified before they replace the old ones.",
    ),
});
export type UpdateGatewayAccountBody = z.output<typeof updateGatewayAccountBody>;

export const gatewayAccountIdParams = z.strictObject({ id: z.string().max(255).describe('The gateway account id, gwa_...') });

export const listGatewayAccountsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().max(255).optional().describe('Cursor: the last id of the previous page.'),
});

export const gatewayAccountSchema = z
  .object({
    id: z.string(),
    object: z.literal('gateway_account'),
    gateway: z.enum(GATEWAY_NAMES),
    livemode: z.boolean(),
    status: z.enum(['verified', 'disabled']),
    currencies: z.array(z.string()),
    description: z.string().nullable(),
    priority: z.number().int(),
    credentials_last4: z
      .string()
      .nullable()
      .describe('The last 4 characters of the main credential (for Stripe the secret key, for Adyen the API key).'),
    webhook_secret_configured: z
      .boolean()
      .describe('Whether events can be verified: a Stripe webhook_secret or an Adyen hmac_key is stored.'),
    webhook_url_path: z
      .string()
      .nullable()
      .describe('Where the gateway should send its events (Stripe) or notifications (Adyen), relative to this API; null for the sandbox.'),
    verified_at: z.string().nullable(),
    disabled_at: z.string().nullable(),
    created_at: z.string(),
  })
  .describe('A gateway account; its credentials are never shown.');

export const gatewayAccountListSchema = z.object({
  object: z.literal('list'),
  data: z.array(gatewayAccountSchema),
  has_more: z.boolean(),
});
