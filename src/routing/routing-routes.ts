import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { RoutingService } from './routing-service';
import { putRoutingBody, routingSchema } from './routing-schemas';

/** GET and PUT /v1/routing: which of the merchant's gateway accounts new payments go to, and in which order. */
export function routingRoutes(routing: RoutingService): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/routing',
      operationId: 'getRouting',
      tags: ['Gateway accounts'],
      auth: 'merchant',
      summary: 'Retrieve the routing configuration',
      description: 'Version 0 with no rules (every eligible account by priority) and `max_attempts` 3 until the first PUT.',
      responses: { 200: { description: 'The current version.', schema: routingSchema }, ...errorResponses },
      async handle({ merchant }) {
        return { status: 200, body: await routing.get(merchant) };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/v1/routing',
      operationId: 'putRouting',
      tags: ['Gateway accounts'],
      auth: 'merchant',
      idempotent: 'create',
      summary: 'Replace the routing configuration',
      description:
        "Stores the rules as the next version. Each new payment is routed by the version current when it is created, and keeps that decision (the payment's `routing`) whatever changes later. Every account named must be one of the merchant's, of its mode (disabled ones may be named: they are skipped while disabled); a problem answers 400 naming the field, e.g. `rules[0][accounts][1]`.",
      body: putRoutingBody,
      responses: {
        200: { description: 'The stored version.', schema: routingSchema },
        ...errorResponses,
        409: { description: 'Another request with this Idempotency-Key is being carried out.', schema: errorSchema },
        422: { description: 'The Idempotency-Key was used before with different parameters.', schema: errorSchema },
      },
      async handle({ body, merchant, idempotencyKey, requestPath }) {
        return {
          status: 200,
          body: await routing.put(merchant, body, idempotencyKey ? { key: idempotencyKey, method: 'PUT', path: requestPath } : undefined),
        };
      },
    }),
  ];
}
