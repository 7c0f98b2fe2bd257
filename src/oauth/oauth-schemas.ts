import { z } from 'zod';
import { OAUTH_SCOPES, SCOPE_NAMES } from './oauth-scopes';

export const OAUTH_GRANT_TYPES = ['client_credentials', 'refresh_token'] as const;
export type OAuthGrantType = (typeof OAUTH_GRANT_TYPES)[number];

const scopeList = Object.entries(OAUTH_SCOPES)
  .map(([name, allows]) => `${name}: ${allows}`)
  .join(' ');

export const oauthClientIdParams = z.strictObject({ id: z.string().max(255).describe('The client id, oc_...') });

export const listOAuthClientsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(10).describe('How many clients to return, 1-100.'),
  starting_after: z
    .string()
    .regex(/^oc_[0-9A-Za-z]{1,64}$/, 'must be an OAuth client id')
    .optional()
    .describe('Cursor: the last id of the previous page.'),
});

export const createOAuthClientBody = z.strictObject({
  name: z.string().min(1).max(200).optional().describe('A label for the merchant, e.g. the integration it is for.'),
  scopes: z.array(z.enum(SCOPE_NAMES)).min(1).max(SCOPE_NAMES.length).describe(`What the client's tokens may do. ${scopeList}`),
  grant_types: z
    .array(z.enum(OAUTH_GRANT_TYPES))
    .min(1)
    .max(OAUTH_GRANT_TYPES.length)
    .default([...OAUTH_GRANT_TYPES])
    .describe('The grants the client may use (default both); without refresh_token, client_credentials issues no refresh token.'),
});

export const rotateOAuthClientSecretBody = z.strictObject({
  expire_current_in_hours: z
    .number()
    .min(0)
    .max(720)
    .default(24)
    .describe('The current secrets keep working this many hours (0: they stop at once; at most 720; default 24).'),
});

const clientSecretSchema = z.object({
  id: z.string(),
  redacted: z.string().describe('lfcs_, ellipsis, last four characters.'),
  created_at: z.string(),
  expires_at: z.string().nullable().describe('Set once the secret was rotated out: when it stops working.'),
});

export const oauthClientSchema = z
  .object({
    id: z.string(),
    object: z.literal('oauth_client'),
    client_id: z.string().describe('The public client_id sent to /v1/oauth/token.'),
    name: z.string().nullable(),
    scopes: z.array(z.string()),
    grant_types: z.array(z.string()),
    secrets: z.array(clientSecretSchema).describe('The secrets that work: one, or two during a rotation.'),
    created_at: z.string(),
  })
  .describe('An OAuth client of the merchant: its secrets are stored hashed.');

export const createdOAuthClientSchema = oauthClientSchema.extend({
  client_secret: z.string().describe('The new secret, shown once.'),
});

export const deletedOAuthClientSchema = oauthClientSchema.extend({ deleted: z.literal(true) });

export const oauthClientListSchema = z.object({ object: z.literal('list'), data: z.array(oauthClientSchema), has_more: z.boolean() });

// Unknown parameters are ignored, as RFC 6749 §3.2 requires; the endpoint itself answers every missing one.
const clientCredentialFields = {
  client_id: z.string().max(200).optional().describe('With client_secret: client authentication in the body, instead of HTTP Basic.'),
  client_secret: z.string().max(200).optional(),
};

export const tokenRequestBody = z
  .object({
    grant_type: z.string().max(100).optional().describe('client_credentials or refresh_token.'),
    scope: z
      .string()
      .max(1000)
      .optional()
      .describe("Space-separated: a subset of the client's scopes (or, on refresh, of the grant's). Default all of them."),
    refresh_token: z.string().max(200).optional().describe('For grant_type=refresh_token.'),
    ...clientCredentialFields,
  })
  .describe('A token request (RFC 6749 §4.4, §6), form-encoded or JSON.');

export const revokeRequestBody = z
  .object({
    token: z.string().max(200).optional().describe('The access or refresh token to revoke.'),
    token_type_hint: z.string().max(100).optional().describe('access_token or refresh_token: where to look first.'),
    ...clientCredentialFields,
  })
  .describe('A revocation request (RFC 7009), form-encoded or JSON.');

export const tokenResponseSchema = z
  .object({
    access_token: z.string().describe('Send as "Authorization: Bearer <access_token>".'),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().describe('Seconds the access token works.'),
    scope: z.string().describe('Space-separated scopes granted.'),
    refresh_token: z.string().optional().describe('For grant_type=refresh_token; each one works once (rotation).'),
  })
  .describe('An access token, and a refresh token when the client may refresh.');

export const oauthErrorSchema = z
  .object({
    error: z.enum([
      'invalid_request',
      'invalid_client',
      'invalid_grant',
      'unauthorized_client',
      'unsupported_grant_type',
      'invalid_scope',
      'unsupported_token_type',
    ]),
    error_description: z.string(),
    code: z.string().describe("The same as error, for clients reading the API's own error shape."),
  })
  .describe("An RFC 6749 §5.2 error: this endpoint answers in the RFC's shape, not the API's.");
