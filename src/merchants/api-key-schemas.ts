import { z } from 'zod';

export const apiKeyIdParams = z.strictObject({
  id: z.string().max(255).describe('The key id, key_...'),
});

export const listApiKeysQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(10).describe('How many keys to return, 1-100.'),
  starting_after: z
    .string()
    .regex(/^key_[0-9A-Za-z]{1,64}$/, 'must be a key id')
    .optional()
    .describe('Cursor: the last id of the previous page.'),
});

export const createApiKeyBody = z.strictObject({
  expire_current_in_hours: z
    .number()
    .min(0)
    .max(720)
    .optional()
    .describe('Rotation: the key making this request stops working this many hours from now (0: at once; at most 720). Omit to keep it.'),
});

export const revokeApiKeyBody = z.strictObject({});

export const apiKeySchema = z
  .object({
    id: z.string(),
    object: z.literal('api_key'),
    livemode: z.boolean(),
    prefix: z.string().describe('sk_test_ or sk_live_.'),
    last4: z.string(),
    redacted: z.string().describe('How to recognise the key: prefix, ellipsis, last four characters.'),
    status: z.enum(['active', 'expiring', 'revoked']).describe('expiring: rotated, with a revoked_at in the future.'),
    created_at: z.string(),
    last_used_at: z.string().nullable().describe('To within a minute.'),
    revoked_at: z.string().nullable().describe('When the key stopped (or, while expiring, stops) working.'),
  })
  .describe('A secret API key, without its secret: only its hash is stored.');

export const createdApiKeySchema = apiKeySchema.extend({
  secret: z.string().describe('The new secret key, shown once.'),
  previous_key: apiKeySchema.optional().describe('The calling key, when expire_current_in_hours rotated it.'),
});

export const apiKeyListSchema = z.object({ object: z.literal('list'), data: z.array(apiKeySchema), has_more: z.boolean() });
