import { ApplicationFailure } from '@temporalio/activity';
import {
  GatewayError,
  type GatewayRefundRequest,
  type GatewayRefundResult,
  type AuthorizeRequest,
  type AuthorizeResult,
  type GatewayCaptureRequest,
  type GatewayCaptureResult,
  type GatewayRegistry,
  type VoidRequest,
  type VoidResult,
} from '../src/gateways/payment-gateway';
import { PAYMENT_FAILURES } from '../src/shared/failure-types';

export interface GatewayActivityDeps {
  gateways: GatewayRegistry;
}

type WithGateway<T> = T & { gateway: string };

/** Declines become typed, non-retryable failures; transient faults stay retryable. Messages come from the map, never from the cause. */
async function callGateway<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof GatewayError) {
      const failure = PAYMENT_FAILURES[error.failureType];
      throw ApplicationFailure.create({ type: error.failureType, message: failure.message, nonRetryable: !failure.retryable });
    }
    throw error;
  }
}

export function createGatewayActivities({ gateways }: GatewayActivityDeps) {
  return {
    /** Authorizes (and with `capture`, captures) at the gateway under the payment's authorize key. */
    async authorizePayment({ gateway, ...request }: WithGateway<AuthorizeRequest>): Promise<AuthorizeResult> {
      return callGateway(() => gateways.get(gateway).authorize(request));
    },
    /** Captures an authorization, under the payment's capture key. */
    async capturePayment({ gateway, ...request }: WithGateway<GatewayCaptureRequest>): Promise<GatewayCaptureResult> {
      return callGateway(() => gateways.get(gateway).capture(request));
    },
    /** Refunds captured money, under the refund's own key. */
    async refundPayment({ gateway, ...request }: WithGateway<GatewayRefundRequest>): Promise<GatewayRefundResult> {
      return callGateway(() => gateways.get(gateway).refund(request));
    },
    /** Releases an uncaptured authorization, under the payment's void key. */
    async voidPayment({ gateway, ...request }: WithGateway<VoidRequest>): Promise<VoidResult> {
      return callGateway(() => gateways.get(gateway).void(request));
    },
  };
}
