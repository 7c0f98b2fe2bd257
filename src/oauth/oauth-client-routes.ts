import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { OAuthClientService } from './oauth-client-service';
import {
  createdOAuthClientSchema,
  createOAuthClientBody,
  deletedOAuthClientSchema,
  listOAuthClientsQuery,
  oauthClientIdParams,
  oauthClientListSchema,
  rotateOAuthClientSecretBody,
} from './oauth-schemas';

const notFound = { description: 'No such OAuth client for this merchant.', schema: errorSchema };
const TAGS = ['OAuth'];

/** The /v1/oauth/clients endpoints: a merchant manages its OAuth clients with a secret API key (never with a token). */
export function oauthClientRoutes(clients: OAuthClientService): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/oauth/clients',
      operationId: 'listOAuthClients',
      tags: TAGS,
      auth: 'merchant',
      summary: "List the merchant's OAuth clients, newest first (secrets by last four only)",
      query: listOAuthClientsQuery,
      responses: { 200: { description: 'A page of clients.', schema: oauthClientListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await clients.list(merchant, query.limit, query.starting_after);
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/oauth/clients',
      operationId: 'createOAuthClient',
      tags: TAGS,
      auth: 'merchant',
      summary: 'Create an OAuth client with its scopes; its client_secret is shown once',
      body: createOAuthClientBody,
      responses: { 201: { description: 'The new client with its secret.', schema: createdOAuthClientSchema }, ...errorResponses },
      async handle({ body, merchant }) {
        return {
          status: 201,
          body: await clients.create(merchant, { name: body.name, scopes: body.scopes, grantTypes: body.grant_types }),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/oauth/clients/:id/rotate_secret',
      operationId: 'rotateOAuthClientSecret',
      tags: TAGS,
      auth: 'merchant',
      summary: 'Issue a new client secret (shown once); the current one keeps working expire_current_in_hours more',
      params: oauthClientIdParams,
      body: rotateOAuthClientSecretBody,
      responses: {
        200: {
          description: 'The client with its new secret; both secrets are listed while the old one lasts.',
          schema: createdOAuthClientSchema,
        },
        ...errorResponses,
        404: notFound,
      },
      async handle({ params, body, merchant }) {
        return { status: 200, body: await clients.rotateSecret(merchant, params.id, body.expire_current_in_hours) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/oauth/clients/:id',
      operationId: 'deleteOAuthClient',
      tags: TAGS,
      auth: 'merchant',
      summary: 'Delete an OAuth client: its secrets stop working and every token it was given is revoked, in every API process at once',
      params: oauthClientIdParams,
      responses: { 200: { description: 'The deleted client.', schema: deletedOAuthClientSchema }, ...errorResponses, 404: notFound },
      async handle({ params, merchant }) {
        return { status: 200, body: await clients.delete(merchant, params.id) };
      },
    }),
  ];
}
