import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import { callerOf } from '../api/caller';
import { ApiError } from '../shared/api-error';
import type { ApiKeyService } from './api-key-service';
import {
  apiKeyIdParams,
  apiKeyListSchema,
  apiKeySchema,
  createApiKeyBody,
  createdApiKeySchema,
  listApiKeysQuery,
  revokeApiKeyBody,
} from './api-key-schemas';

const notFound = { description: 'No such key for this merchant.', schema: errorSchema };
const lastKey = { description: "The merchant's last active key cannot be revoked: create another first.", schema: errorSchema };

/** The /v1/api_keys endpoints: a merchant manages its own secret keys. */
export function apiKeyRoutes(apiKeys: ApiKeyService): ApiRoute[] {
  const revoke = (path: string, method: 'delete' | 'post', operationId: string) =>
    defineRoute({
      method,
      path,
      operationId,
      tags: ['API keys'],
      auth: 'merchant',
      summary: 'Revoke an API key',
      description: 'The key stops working at once, in every API process.',
      params: apiKeyIdParams,
      ...(method === 'post' ? { body: revokeApiKeyBody } : {}),
      responses: { 200: { description: 'The revoked key.', schema: apiKeySchema }, ...errorResponses, 404: notFound, 409: lastKey },
      async handle({ params, merchant }) {
        return { status: 200, body: await apiKeys.revoke(merchant, params.id) };
      },
    });
  return [
    defineRoute({
      method: 'get',
      path: '/v1/api_keys',
      operationId: 'listApiKeys',
      tags: ['API keys'],
      auth: 'merchant',
      summary: "List the merchant's API keys, newest first (prefix and last four only)",
      query: listApiKeysQuery,
      responses: { 200: { description: 'A page of keys.', schema: apiKeyListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await apiKeys.list(merchant, query.limit, query.starting_after);
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/api_keys',
      operationId: 'createApiKey',
      tags: ['API keys'],
      auth: 'merchant',
      summary: 'Create a secret API key (shown once), optionally rotating out the calling key',
      body: createApiKeyBody,
      responses: { 201: { description: 'The new key with its secret.', schema: createdApiKeySchema }, ...errorResponses },
      async handle({ body, merchant }, ctx) {
        const caller = callerOf(ctx);
        if (caller?.kind !== 'merchant') throw ApiError.unauthorized();
        return { status: 201, body: await apiKeys.create(merchant, caller.keyId, body.expire_current_in_hours) };
      },
    }),
    revoke('/v1/api_keys/:id', 'delete', 'revokeApiKey'),
    revoke('/v1/api_keys/:id/revoke', 'post', 'revokeApiKeyByPost'),
  ];
}
