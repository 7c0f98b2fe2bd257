import { z } from 'zod';
import { defineRoute, type ApiRoute } from '../api/route';
import { errorSchema } from '../api/common-schemas';
import { gatewayEventBody, type GatewayEventService } from './gateway-event-service';

/** Where gateways notify us of what card networks did (disputes opened and decided). Authenticated by signature, not by key. */
export function gatewayEventRoutes(events: GatewayEventService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/gateway_events/:gateway',
      operationId: 'receiveGatewayEvent',
      tags: ['Gateways'],
      auth: 'none',
      summary: 'Receive a signed gateway notification',
      params: z.strictObject({ gateway: z.string().max(64).describe('The gateway name, e.g. sandbox.') }),
      body: gatewayEventBody,
      responses: {
        200: { description: 'Accepted.', schema: z.object({ received: z.literal(true), dispute: z.unknown().optional() }) },
        400: { description: 'Bad signature or malformed event.', schema: errorSchema },
        404: { description: 'Unknown gateway, charge or dispute.', schema: errorSchema },
      },
      async handle({ params }, ctx) {
        const rawBody = (ctx.request as { rawBody?: string }).rawBody ?? '';
        return { status: 200, body: await events.receive(params.gateway, rawBody, ctx.get('gateway-signature') || undefined) };
      },
    }),
  ];
}
