import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { CheckoutService } from './checkout-service';
import {
  checkoutSessionIdParams,
  checkoutSessionListSchema,
  checkoutSessionSchema,
  checkoutSettingsSchema,
  createCheckoutSessionBody,
  listCheckoutSessionsQuery,
} from './checkout-schemas';

const notFound = { 404: { description: 'Checkout session not found.', schema: errorSchema } };
const unavailable = { 503: { description: 'The card vault has no keys configured, or Temporal is unreachable.', schema: errorSchema } };

/** The /v1/checkout_sessions endpoints: hosted payment pages, and the secret their redirects are signed with. */
export function checkoutRoutes(checkout: CheckoutService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/checkout_sessions',
      operationId: 'createCheckoutSession',
      tags: ['Checkout'],
      auth: 'merchant',
      idempotent: 'create',
      summary: 'Create a checkout session',
      description:
        'A hosted payment page for one amount: send the customer to `url`. The card goes from their browser to our vault only. After the payment the customer is redirected to `success_url` (or, going back, `cancel_url`) with signed parameters; fulfil orders on the `checkout.session.completed` event, not on the redirect.',
      body: createCheckoutSessionBody,
      responses: {
        201: { description: 'The open session.', schema: checkoutSessionSchema },
        ...errorResponses,
        422: { description: 'The Idempotency-Key was used before with different parameters.', schema: errorSchema },
        ...unavailable,
      },
      async handle({ body, merchant, idempotencyKey, requestPath }) {
        return {
          status: 201,
          body: await checkout.create(
            merchant,
            body,
            idempotencyKey ? { key: idempotencyKey, method: 'POST', path: requestPath } : undefined,
          ),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/checkout_sessions/:id',
      operationId: 'getCheckoutSession',
      tags: ['Checkout'],
      auth: 'merchant',
      summary: 'Retrieve a checkout session',
      params: checkoutSessionIdParams,
      responses: { 200: { description: 'The session.', schema: checkoutSessionSchema }, ...errorResponses, ...notFound },
      async handle({ params, merchant }) {
        return { status: 200, body: await checkout.get(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/checkout_sessions',
      operationId: 'listCheckoutSessions',
      tags: ['Checkout'],
      auth: 'merchant',
      summary: 'List checkout sessions, newest first',
      query: listCheckoutSessionsQuery,
      responses: { 200: { description: 'A page of sessions.', schema: checkoutSessionListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await checkout.list(merchant, { limit: query.limit, startingAfter: query.starting_after, status: query.status });
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/checkout_sessions/:id/expire',
      operationId: 'expireCheckoutSession',
      tags: ['Checkout'],
      auth: 'merchant',
      idempotent: 'update',
      summary: 'Expire an open checkout session',
      description:
        'The page refuses the card from now on, and `checkout.session.expired` is sent. A session already expired answers as it is; a complete one, or one whose payment is being decided, answers 409.',
      params: checkoutSessionIdParams,
      responses: {
        200: { description: 'The expired session.', schema: checkoutSessionSchema },
        ...errorResponses,
        ...notFound,
        409: { description: 'The session is complete, or its payment is being decided.', schema: errorSchema },
        ...unavailable,
      },
      async handle({ params, merchant, updateId }) {
        return { status: 200, body: await checkout.expire(merchant, params.id, updateId) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/checkout_settings',
      operationId: 'getCheckoutSettings',
      tags: ['Checkout'],
      auth: 'merchant',
      summary: "Retrieve the merchant's checkout signing secret",
      description: 'Made on first use and stored sealed. Verify the `signature` of each redirect back from the page with it.',
      responses: { 200: { description: 'The settings.', schema: checkoutSettingsSchema }, ...errorResponses, ...unavailable },
      async handle({ merchant }) {
        return { status: 200, body: await checkout.signingSecret(merchant) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/checkout_settings/roll_signing_secret',
      operationId: 'rollCheckoutSigningSecret',
      tags: ['Checkout'],
      auth: 'merchant',
      summary: 'Replace the checkout signing secret',
      description: 'Redirects signed from now on use the new secret; ones already sent no longer verify.',
      responses: { 200: { description: 'The new settings.', schema: checkoutSettingsSchema }, ...errorResponses, ...unavailable },
      async handle({ merchant }) {
        return { status: 200, body: await checkout.signingSecret(merchant, true) };
      },
    }),
  ];
}
