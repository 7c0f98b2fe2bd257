import { z } from 'zod';
import { defineRoute, type ApiRoute } from '../api/route';
import { errorSchema } from '../api/common-schemas';
import { gatewayEventBody, type GatewayEventService } from './gateway-event-service';
import type { StripeEventReceiver } from './stripe/stripe-event-receiver';
import type { AdyenEventReceiver } from './adyen/adyen-event-receiver';

/** Where gateways notify us of what card networks did (disputes opened and decided). Authenticated by signature, not by key. */
export function gatewayEventRoutes(
  events: GatewayEventService,
  stripeEvents: StripeEventReceiver,
  adyenEvents: AdyenEventReceiver,
): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/gateway_events/adyen/:account',
      operationId: 'receiveAdyenNotification',
      tags: ['Gateways'],
      auth: 'none',
      summary: "Receive an Adyen account's notification",
      description:
        "The URL to enter as the Standard webhook of the Adyen merchant account (the account's `webhook_url_path`), with HMAC enabled and its key stored as the account's hmac_key. Every item's HMAC is checked with Adyen's own library before any item is applied; the batch is answered with the text [accepted]. AUTHORISATION settles payments waiting for the customer (and status sync); CAPTURE, CAPTURE_FAILED, CANCELLATION and TECHNICAL_CANCEL confirm captures and cancels; REFUND, REFUND_FAILED and REFUNDED_REVERSED settle refunds; NOTIFICATION_OF_CHARGEBACK, REQUEST_FOR_INFORMATION and CHARGEBACK open a dispute, CHARGEBACK_REVERSED and PREARBITRATION_WON win it, SECOND_CHARGEBACK and PREARBITRATION_LOST lose it. Each item counts once (pspReference, eventCode, success), in any order.",
      params: z.strictObject({ account: z.string().max(255).describe('The gateway account id, gwa_...') }),
      body: z
        .object({ live: z.string().optional(), notificationItems: z.array(z.object({ NotificationRequestItem: z.object({}).loose() })) })
        .loose()
        .describe("An Adyen notification batch, as Adyen's Standard webhook sends it."),
      responses: {
        200: {
          description: 'Every item verified and applied.',
          otherContent: { 'text/plain': 'The text [accepted], which Adyen requires.' },
        },
        400: {
          description: 'An item without a valid HMAC signature, or a malformed batch: nothing of it was applied.',
          schema: errorSchema,
        },
        404: { description: 'Unknown gateway account.', schema: errorSchema },
        503: { description: 'A disputed charge of ours is still being recorded: Adyen sends the batch again.', schema: errorSchema },
      },
      async handle({ body, params }) {
        return { status: 200, body: await adyenEvents.receive(params.account, body) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/gateway_events/stripe/:account',
      operationId: 'receiveStripeEvent',
      tags: ['Gateways'],
      auth: 'none',
      summary: "Receive a Stripe account's webhook event",
      description:
        "The URL to enter as the webhook endpoint in the Stripe account (the account's `webhook_url_path`). Verified with Stripe's own library against the account's webhook_secret on the raw body (header Stripe-Signature). payment_intent.succeeded, .amount_capturable_updated, .payment_failed and .canceled settle payments waiting for the customer's authentication; charge.refund.updated, refund.updated and refund.failed settle refunds Stripe accepted as pending; payout.paid, .failed, .canceled and .updated make the payout's workflow ask Stripe about it at once (the event alone changes nothing); charge.dispute.created and charge.dispute.closed open and decide disputes. Other types are acknowledged; a redelivered event changes nothing.",
      params: z.strictObject({ account: z.string().max(255).describe('The gateway account id, gwa_...') }),
      body: z.object({ id: z.string(), type: z.string() }).loose().describe('A Stripe event object.'),
      responses: {
        200: {
          description: 'Accepted.',
          schema: z.object({
            received: z.literal(true),
            action: z.enum([
              'payment_signalled',
              'refund_signalled',
              'refund_failed_after_success',
              'payout_signalled',
              'dispute_opened',
              'dispute_closed',
              'ignored',
            ]),
            dispute: z.unknown().optional(),
          }),
        },
        400: { description: 'Bad signature, or no webhook_secret on the account.', schema: errorSchema },
        404: { description: 'Unknown gateway account, or the disputed payment is unknown.', schema: errorSchema },
        503: {
          description: 'The disputed charge is ours but still being recorded, or Stripe could not be asked: send it again.',
          schema: errorSchema,
        },
      },
      async handle({ params }, ctx) {
        const rawBody = (ctx.request as { rawBody?: string }).rawBody ?? '';
        return { status: 200, body: await stripeEvents.receive(params.account, rawBody, ctx.get('stripe-signature') || undefined) };
      },
    }),
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
