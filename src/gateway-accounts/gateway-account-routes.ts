import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { GatewayAccountService } from './gateway-account-service';
import {
  createGatewayAccountBody,
  gatewayAccountIdParams,
  gatewayAccountListSchema,
  gatewayAccountSchema,
  listGatewayAccountsQuery,
  updateGatewayAccountBody,
} from './gateway-account-schemas';

const notFound = { 404: { description: 'Gateway account not found.', schema: errorSchema } };
const unreachable = {
  503: { description: 'The gateway could not be reached to verify the credentials, or no vault keys are configured.', schema: errorSchema },
};

/** The /v1/gateway_accounts endpoints: the merchant's accounts at real gateways, their credentials and routing order. */
export function gatewayAccountRoutes(accounts: GatewayAccountService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/gateway_accounts',
      operationId: 'createGatewayAccount',
      tags: ['Gateway accounts'],
      auth: 'merchant',
      idempotent: 'create',
      summary: 'Connect a gateway account',
      description:
        "The credentials are checked (every missing key is named), must be of the merchant's mode (sk_test_/rk_test_ for a test-mode merchant, sk_live_/rk_live_ for live), and are verified with one harmless call to the gateway: the account is then `verified`, or the request answers 400 `invalid_credentials` with the gateway's reason and nothing is stored. Credentials are stored encrypted and never shown again but for their last 4 characters. New payments go to the merchant's enabled accounts of its mode, lowest `priority` first, that take the payment's currency and source.",
      body: createGatewayAccountBody,
      responses: {
        201: { description: 'The verified account.', schema: gatewayAccountSchema },
        ...errorResponses,
        422: { description: 'The Idempotency-Key was used before with different parameters.', schema: errorSchema },
        ...unreachable,
      },
      async handle({ body, merchant, idempotencyKey, requestPath }) {
        return {
          status: 201,
          body: await accounts.create(
            merchant,
            body,
            idempotencyKey ? { key: idempotencyKey, method: 'POST', path: requestPath } : undefined,
          ),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/gateway_accounts/:id',
      operationId: 'getGatewayAccount',
      tags: ['Gateway accounts'],
      auth: 'merchant',
      summary: 'Retrieve a gateway account',
      params: gatewayAccountIdParams,
      responses: { 200: { description: 'The account.', schema: gatewayAccountSchema }, ...errorResponses, ...notFound },
      async handle({ params, merchant }) {
        return { status: 200, body: await accounts.get(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/gateway_accounts',
      operationId: 'listGatewayAccounts',
      tags: ['Gateway accounts'],
      auth: 'merchant',
      summary: 'List gateway accounts, newest first',
      query: listGatewayAccountsQuery,
      responses: { 200: { description: 'A page of accounts.', schema: gatewayAccountListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await accounts.list(merchant, query.limit, query.starting_after);
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/gateway_accounts/:id',
      operationId: 'updateGatewayAccount',
      tags: ['Gateway accounts'],
      auth: 'merchant',
      summary: 'Change a gateway account',
      description:
        'Changes the routing order, currencies or description, disables or re-enables the account, or replaces its credentials (verified first, as at creation; for Stripe, add `webhook_secret` here once the endpoint exists in Stripe).',
      params: gatewayAccountIdParams,
      body: updateGatewayAccountBody,
      responses: { 200: { description: 'The account.', schema: gatewayAccountSchema }, ...errorResponses, ...notFound, ...unreachable },
      async handle({ params, body, merchant }) {
        return { status: 200, body: await accounts.update(merchant, params.id, body) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/gateway_accounts/:id',
      operationId: 'disableGatewayAccount',
      tags: ['Gateway accounts'],
      auth: 'merchant',
      summary: 'Disable a gateway account',
      description:
        'No new payments go to a disabled account. It is kept, not erased: payments already made through it are captured, refunded and disputed through it.',
      params: gatewayAccountIdParams,
      responses: { 200: { description: 'The disabled account.', schema: gatewayAccountSchema }, ...errorResponses, ...notFound },
      async handle({ params, merchant }) {
        return { status: 200, body: await accounts.disable(merchant, params.id) };
      },
    }),
  ];
}
