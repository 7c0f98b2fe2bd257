import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import { z } from 'zod';
import type { WebhookService } from './webhook-service';
import {
  attemptSchema,
  createEndpointBody,
  endpointIdParams,
  endpointSchema,
  eventSchema,
  listEventsQuery,
  listOf,
  pageQuery,
  redeliverBody,
  updateEndpointBody,
} from './webhook-schemas';

const notFound = (what: string) => ({ 404: { description: `${what} not found.`, schema: errorSchema } });
const EVENT_RETENTION_NOTE =
  'Events are kept 30 days (EVENT_RETENTION), as Stripe keeps them, then deleted with their webhook attempts by the daily data-retention run. ' +
  'Subscription events (`customer.subscription.*`) and `invoice.payment_failed` stay: they are the history the subscription reports read.';
// Signing secrets are stored only sealed with the card vault's keys: without them no secret can be made.
const secretsUnavailable = {
  503: {
    description: 'The card vault has no keys configured, so no signing secret can be stored (webhook_secrets_unavailable).',
    schema: errorSchema,
  },
};

/** Webhook endpoints, their delivery attempts, and the event log. */
export function webhookRoutes(webhooks: WebhookService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/webhook_endpoints',
      operationId: 'createWebhookEndpoint',
      tags: ['Webhooks'],
      auth: 'merchant',
      summary: 'Create a webhook endpoint',
      description: 'The signing secret (whsec_...) is in this answer only. Deliveries follow the Standard Webhooks specification.',
      body: createEndpointBody,
      responses: {
        201: { description: 'The endpoint, with its secret.', schema: endpointSchema },
        ...errorResponses,
        ...secretsUnavailable,
      },
      async handle({ body, merchant }) {
        return { status: 201, body: await webhooks.createEndpoint(merchant, body) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/webhook_endpoints',
      operationId: 'listWebhookEndpoints',
      tags: ['Webhooks'],
      auth: 'merchant',
      summary: 'List webhook endpoints',
      query: pageQuery,
      responses: { 200: { description: 'A page of endpoints.', schema: listOf(endpointSchema) }, ...errorResponses },
      async handle({ query, merchant }) {
        return { status: 200, body: await webhooks.listEndpoints(merchant, query.limit, query.starting_after) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/webhook_endpoints/:id',
      operationId: 'getWebhookEndpoint',
      tags: ['Webhooks'],
      auth: 'merchant',
      summary: 'Retrieve a webhook endpoint',
      params: endpointIdParams,
      responses: { 200: { description: 'The endpoint.', schema: endpointSchema }, ...errorResponses, ...notFound('Webhook endpoint') },
      async handle({ params, merchant }) {
        return { status: 200, body: await webhooks.getEndpoint(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/webhook_endpoints/:id',
      operationId: 'updateWebhookEndpoint',
      tags: ['Webhooks'],
      auth: 'merchant',
      summary: 'Change the URL, events or description, or disable / enable',
      params: endpointIdParams,
      body: updateEndpointBody,
      responses: { 200: { description: 'The endpoint.', schema: endpointSchema }, ...errorResponses, ...notFound('Webhook endpoint') },
      async handle({ params, body, merchant }) {
        return { status: 200, body: await webhooks.updateEndpoint(merchant, params.id, body) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/webhook_endpoints/:id',
      operationId: 'deleteWebhookEndpoint',
      tags: ['Webhooks'],
      auth: 'merchant',
      summary: 'Delete a webhook endpoint',
      params: endpointIdParams,
      responses: {
        200: {
          description: 'Deleted.',
          schema: z.object({ id: z.string(), object: z.literal('webhook_endpoint'), deleted: z.literal(true) }),
        },
        ...errorResponses,
        ...notFound('Webhook endpoint'),
      },
      async handle({ params, merchant }) {
        return { status: 200, body: await webhooks.deleteEndpoint(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/webhook_endpoints/:id/rotate_secret',
      operationId: 'rotateWebhookSecret',
      tags: ['Webhooks'],
      auth: 'merchant',
      summary: 'Rotate the signing secret',
      description: 'Answers the new secret once; for 24 hours deliveries carry signatures with both secrets.',
      params: endpointIdParams,
      responses: {
        200: { description: 'The endpoint, with its new secret.', schema: endpointSchema },
        ...errorResponses,
        ...notFound('Webhook endpoint'),
        ...secretsUnavailable,
      },
      async handle({ params, merchant }) {
        return { status: 200, body: await webhooks.rotateSecret(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/webhook_endpoints/:id/deliveries',
      operationId: 'listWebhookDeliveries',
      tags: ['Webhooks'],
      auth: 'merchant',
      summary: 'Every delivery attempt to an endpoint, newest first',
      params: endpointIdParams,
      query: pageQuery,
      responses: {
        200: { description: 'A page of attempts.', schema: listOf(attemptSchema) },
        ...errorResponses,
        ...notFound('Webhook endpoint'),
      },
      async handle({ params, query, merchant }) {
        return { status: 200, body: await webhooks.listAttempts(merchant, params.id, query.limit, query.starting_after) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/events',
      operationId: 'listEvents',
      tags: ['Events'],
      auth: 'merchant',
      summary: 'List events, newest first',
      description: EVENT_RETENTION_NOTE,
      query: listEventsQuery,
      responses: { 200: { description: 'A page of events.', schema: listOf(eventSchema) }, ...errorResponses },
      async handle({ query, merchant }) {
        return {
          status: 200,
          body: await webhooks.listEvents(merchant, { type: query.type, limit: query.limit, startingAfter: query.starting_after }),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/events/:id',
      operationId: 'getEvent',
      tags: ['Events'],
      auth: 'merchant',
      summary: 'Retrieve an event',
      description: `${EVENT_RETENTION_NOTE} A deleted event answers 404 like an unknown one.`,
      params: endpointIdParams,
      responses: { 200: { description: 'The event.', schema: eventSchema }, ...errorResponses, ...notFound('Event') },
      async handle({ params, merchant }) {
        return { status: 200, body: await webhooks.getEvent(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/events/:id/redeliver',
      operationId: 'redeliverEvent',
      tags: ['Events'],
      auth: 'merchant',
      summary: 'Send an event again, with the same webhook-id',
      params: endpointIdParams,
      body: redeliverBody,
      responses: {
        202: {
          description: 'Deliveries started.',
          schema: z.object({
            object: z.literal('redelivery'),
            event_id: z.string(),
            endpoints: z.array(z.string()),
            workflows: z.array(z.string()),
          }),
        },
        ...errorResponses,
        ...notFound('Event or endpoint'),
      },
      async handle({ params, body, merchant }) {
        return { status: 202, body: await webhooks.redeliver(merchant, params.id, body.endpoint) };
      },
    }),
  ];
}
