import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { SubscriptionService } from './subscription-service';
import {
  cancelSubscriptionBody,
  createSubscriptionBody,
  emptyBody,
  listSubscriptionsQuery,
  subscriptionIdParams,
  subscriptionListSchema,
  subscriptionSchema,
  updateSubscriptionBody,
} from './subscription-schemas';

const notFound = { 404: { description: 'Subscription not found.', schema: errorSchema } };
const conflict = { 409: { description: "Not possible in the subscription's current status (e.g. canceled).", schema: errorSchema } };
const unavailable = { 503: { description: 'The billing engine is unreachable; retry.', schema: errorSchema } };

/** The /v1/subscriptions endpoints: each subscription is one long-running workflow; changes are its updates. */
export function subscriptionRoutes(subscriptions: SubscriptionService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/subscriptions',
      operationId: 'createSubscription',
      tags: ['Subscriptions'],
      auth: 'merchant',
      idempotent: 'create',
      summary: 'Subscribe a customer to a plan',
      description:
        'Starts workflow subscription-<id>. Answers once it has started: trialing, or active when the first invoice is paid (incomplete if it failed; dunning then retries it).',
      body: createSubscriptionBody,
      responses: {
        201: { description: 'The subscription.', schema: subscriptionSchema },
        ...errorResponses,
        422: { description: 'The Idempotency-Key was used before with different parameters.', schema: errorSchema },
        ...unavailable,
      },
      async handle({ body, merchant, idempotencyKey, requestPath }) {
        return {
          status: 201,
          body: await subscriptions.create(
            merchant,
            body,
            idempotencyKey ? { key: idempotencyKey, method: 'POST', path: requestPath } : undefined,
          ),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/subscriptions/:id',
      operationId: 'getSubscription',
      tags: ['Subscriptions'],
      auth: 'merchant',
      summary: 'Retrieve a subscription',
      params: subscriptionIdParams,
      responses: { 200: { description: 'The subscription.', schema: subscriptionSchema }, ...errorResponses, ...notFound },
      async handle({ params, merchant }) {
        return { status: 200, body: await subscriptions.get(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/subscriptions',
      operationId: 'listSubscriptions',
      tags: ['Subscriptions'],
      auth: 'merchant',
      summary: 'List subscriptions, newest first',
      query: listSubscriptionsQuery,
      responses: { 200: { description: 'A page of subscriptions.', schema: subscriptionListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await subscriptions.list(merchant, query);
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/subscriptions/:id/cancel',
      operationId: 'cancelSubscription',
      tags: ['Subscriptions'],
      auth: 'merchant',
      idempotent: 'update',
      summary: 'Cancel now, or at the end of the period',
      params: subscriptionIdParams,
      body: cancelSubscriptionBody,
      responses: {
        200: { description: 'The subscription.', schema: subscriptionSchema },
        ...errorResponses,
        ...notFound,
        ...conflict,
        ...unavailable,
      },
      async handle({ params, body, merchant, updateId }) {
        return { status: 200, body: await subscriptions.cancel(merchant, params.id, body.at_period_end, updateId) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/subscriptions/:id/pause',
      operationId: 'pauseSubscription',
      tags: ['Subscriptions'],
      auth: 'merchant',
      idempotent: 'update',
      summary: 'Pause billing',
      description: 'No invoice is made while paused. The current paid period is not refunded.',
      params: subscriptionIdParams,
      body: emptyBody,
      responses: {
        200: { description: 'The subscription.', schema: subscriptionSchema },
        ...errorResponses,
        ...notFound,
        ...conflict,
        ...unavailable,
      },
      async handle({ params, merchant, updateId }) {
        return { status: 200, body: await subscriptions.pause(merchant, params.id, updateId) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/subscriptions/:id/resume',
      operationId: 'resumeSubscription',
      tags: ['Subscriptions'],
      auth: 'merchant',
      idempotent: 'update',
      summary: 'Resume billing',
      description: 'Within the paid period nothing is charged; after it, a new period starts now and is invoiced at once.',
      params: subscriptionIdParams,
      body: emptyBody,
      responses: {
        200: { description: 'The subscription.', schema: subscriptionSchema },
        ...errorResponses,
        ...notFound,
        ...conflict,
        ...unavailable,
      },
      async handle({ params, merchant, updateId }) {
        return { status: 200, body: await subscriptions.resume(merchant, params.id, updateId) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/subscriptions/:id',
      operationId: 'updateSubscription',
      tags: ['Subscriptions'],
      auth: 'merchant',
      idempotent: 'update',
      summary: 'Change the plan (prorated) or cancel at period end',
      description:
        'A plan change credits the unused time of the old plan and charges the rest of the period on the new one, both on the next invoice (rounded half to even). The new plan must have the same currency and interval.',
      params: subscriptionIdParams,
      body: updateSubscriptionBody,
      responses: {
        200: { description: 'The subscription.', schema: subscriptionSchema },
        ...errorResponses,
        ...notFound,
        ...conflict,
        ...unavailable,
      },
      async handle({ params, body, merchant, updateId }) {
        return { status: 200, body: await subscriptions.update(merchant, params.id, body, updateId) };
      },
    }),
  ];
}
