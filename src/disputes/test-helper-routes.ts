import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { GatewayEventService } from '../gateways/gateway-event-service';
import type { SandboxNetwork } from '../gateways/sandbox/sandbox-network';
import type { Merchant } from '../merchants/merchant-record';
import type { PaymentService } from '../payments/payment-service';
import { paymentIdParams } from '../payments/payment-schemas';
import { ApiError, apiErrors } from '../shared/api-error';
import { parseMajorAmount } from '../shared/money';
import type { DisputeService } from './dispute-service';
import { disputeIdParams, disputeSchema, resolveDisputeBody, simulateDisputeBody } from './dispute-schemas';

export interface TestHelperDeps {
  payments: PaymentService;
  network: SandboxNetwork;
  gatewayEvents: GatewayEventService;
  disputes: DisputeService;
}

function requireTestMode(merchant: Merchant): void {
  if (merchant.livemode) throw new ApiError(403, 'Test helpers are only available in test mode', 'test_mode_only');
}

/**
 * Test mode stands in for the card network: these send the same signed gateway events a real
 * network's notifications would, through the same receiver.
 */
export function testHelperRoutes({ payments, network, gatewayEvents, disputes }: TestHelperDeps): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/test_helpers/payments/:id/dispute',
      operationId: 'simulateDispute',
      tags: ['Test helpers'],
      auth: 'merchant',
      summary: 'Simulate the cardholder disputing a payment',
      params: paymentIdParams,
      body: simulateDisputeBody,
      responses: {
        201: { description: 'The dispute.', schema: disputeSchema },
        ...errorResponses,
        404: { description: 'Payment not found.', schema: errorSchema },
      },
      async handle({ params, body, merchant }) {
        requireTestMode(merchant);
        const payment = await payments.record(merchant, params.id);
        if (!payment.gatewayReference || payment.gateway !== 'sandbox' || payment.amountCapturedMinor === 0) {
          throw ApiError.badRequest('Only a captured sandbox payment can be disputed', 'payment_not_disputable', 'id');
        }
        let amountMinor = payment.amountCapturedMinor;
        if (body.amount !== undefined) {
          const parsed = parseMajorAmount(body.amount, payment.currency);
          if (!parsed.ok) throw apiErrors.invalidAmount(parsed.reason);
          amountMinor = parsed.minor;
        }
        const { rawBody, signature } = network.sign(
          network.disputeCreated(payment.gatewayReference, amountMinor, payment.currency, body.reason),
        );
        const result = await gatewayEvents.receive('sandbox', rawBody, signature);
        return { status: 201, body: result.dispute };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/test_helpers/disputes/:id/resolve',
      operationId: 'simulateDisputeDecision',
      tags: ['Test helpers'],
      auth: 'merchant',
      summary: 'Simulate the card network deciding a dispute',
      params: disputeIdParams,
      body: resolveDisputeBody,
      responses: {
        200: { description: 'The decided dispute.', schema: disputeSchema },
        ...errorResponses,
        404: { description: 'Dispute not found.', schema: errorSchema },
        409: { description: 'Already decided.', schema: errorSchema },
      },
      async handle({ params, body, merchant }) {
        requireTestMode(merchant);
        const dispute = await disputes.findForMerchant(merchant, params.id);
        const { rawBody, signature } = network.sign(network.disputeClosed(dispute.networkReference, body.outcome));
        const result = await gatewayEvents.receive('sandbox', rawBody, signature);
        return { status: 200, body: result.dispute };
      },
    }),
  ];
}
