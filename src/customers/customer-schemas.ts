import { z } from 'zod';
import { SOURCE_TOKEN_PATTERN } from '../api/documented-formats';
import { metadataSchema } from '../payments/payment-schemas';

const email = z.email().max(254);
const source = z
  .string()
  .min(1)
  .max(255)
  .meta({ pattern: SOURCE_TOKEN_PATTERN })
  .describe("A payment source token, e.g. tok_visa; it becomes the customer's default source.");

export const createCustomerBody = z.strictObject({
  email: email.describe("The customer's email address."),
  name: z.string().min(1).max(256).optional(),
  source,
  metadata: metadataSchema.optional(),
});
export type CreateCustomerBody = z.output<typeof createCustomerBody>;

export const setDefaultSourceBody = z.strictObject({ source });

export const customerIdParams = z.strictObject({ id: z.string().max(255).describe('The customer id, cus_...') });

export const listCustomersQuery = z.strictObject({
  email: email.optional().describe('Only customers with this email address (case-insensitive).'),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().max(255).optional().describe('Cursor: the last id of the previous page.'),
});

export const customerSchema = z
  .object({
    id: z.string(),
    object: z.literal('customer'),
    email: z.string(),
    name: z.string().nullable(),
    default_source: z.string().describe('The source token subscriptions charge.'),
    metadata: z.record(z.string(), z.string()),
    created_at: z.string(),
  })
  .describe('A customer: who pays a subscription, and with which source.');

export const customerListSchema = z.object({ object: z.literal('list'), data: z.array(customerSchema), has_more: z.boolean() });
