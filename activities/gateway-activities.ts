import { ApplicationFailure, log } from '@temporalio/activity';
import type { GatewayAdapters, GatewayTarget } from '../src/gateway-accounts/gateway-account-adapters';
import {
  GatewayError,
  type AuthorizationLookup,
  type AuthorizationStatus,
  type GatewayRefundRequest,
  type GatewayRefundResult,
  type GatewayRefundStatus,
  type AuthorizeRequest,
  type AuthorizeResult,
  type GatewayCaptureRequest,
  type GatewayCaptureResult,
  type GatewayRegistry,
  type PaymentGateway,
  type VoidRequest,
  type VoidResult,
} from '../src/gateways/payment-gateway';
import { gatewayConfigurationFaults } from '../src/metrics/metrics';
import { PAYMENT_FAILURES } from '../src/shared/failure-types';

export interface GatewayActivityDeps {
  /** The built-in gateways (the sandbox). */
  gateways: GatewayRegistry;
  /** Merchants' gateway accounts; without it only the built-in gateways are reachable (some workflow tests). */
  adapters?: GatewayAdapters;
}

type WithGateway<T> = T & GatewayTarget;

/** Declines become typed, non-retryable failures; transient faults stay retryable. Messages come from the map, never from the cause. */
async function callGateway<T>(target: GatewayTarget, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof GatewayError) {
      const failure = PAYMENT_FAILURES[error.failureType];
      if (error.failureType === 'GatewayMisconfigured') {
        // Our request or our credentials were refused: ops must act on the account, the card is not at fault.
        gatewayConfigurationFaults.inc({ gateway: target.gateway });
        log.warn('gateway refused our request: check the gateway account', {
          gateway: target.gateway,
          gatewayAccount: target.gatewayAccount,
        });
      }
      throw ApplicationFailure.create({ type: error.failureType, message: failure.message, nonRetryable: !failure.retryable });
    }
    throw error;
  }
}

export function createGatewayActivities({ gateways, adapters }: GatewayActivityDeps) {
  const resolve = (target: GatewayTarget): Promise<PaymentGateway> =>
    adapters ? adapters.resolve(target) : Promise.resolve(gateways.get(target.gateway));
  return {
    /** Authorizes (and with `capture`, captures) at the gateway under the payment's authorize key. */
    async authorizePayment({ gateway, gatewayAccount, ...request }: WithGateway<AuthorizeRequest>): Promise<AuthorizeResult> {
      const target = { gateway, gatewayAccount };
      return callGateway(target, async () => (await resolve(target)).authorize(request));
    },
    /** Status sync after an unknown outcome: what the gateway did under the payment's authorize key; `not_found` when it has no trace. */
    async lookupAuthorization({ gateway, gatewayAccount, ...request }: WithGateway<AuthorizationLookup>): Promise<AuthorizationStatus> {
      const target = { gateway, gatewayAccount };
      return callGateway(target, async () => {
        const adapter = await resolve(target);
        // A gateway without a lookup replays answers by idempotency key: sending the same key again is the lookup.
        return adapter.lookupAuthorization ? adapter.lookupAuthorization(request) : { outcome: 'not_found' as const };
      });
    },
    /** Captures an authorization, under the payment's capture key. */
    async capturePayment({ gateway, gatewayAccount, ...request }: WithGateway<GatewayCaptureRequest>): Promise<GatewayCaptureResult> {
      const target = { gateway, gatewayAccount };
      return callGateway(target, async () => (await resolve(target)).capture(request));
    },
    /** Refunds captured money, under the refund's own key. */
    async refundPayment({ gateway, gatewayAccount, ...request }: WithGateway<GatewayRefundRequest>): Promise<GatewayRefundResult> {
      const target = { gateway, gatewayAccount };
      return callGateway(target, async () => (await resolve(target)).refund(request));
    },
    /** A pending refund's status at the gateway now (status sync when its event is late or lost). */
    async lookupRefund({ gateway, gatewayAccount, reference }: GatewayTarget & { reference: string }): Promise<GatewayRefundStatus> {
      const target = { gateway, gatewayAccount };
      return callGateway(target, async () => {
        const adapter = await resolve(target);
        // A gateway whose refunds are final at once never answers pending, so this is not reached for it.
        if (!adapter.lookupRefund) return { reference, status: 'succeeded' as const };
        return adapter.lookupRefund(reference);
      });
    },
    /** Releases an uncaptured authorization, under the payment's void key. */
    async voidPayment({ gateway, gatewayAccount, ...request }: WithGateway<VoidRequest>): Promise<VoidResult> {
      const target = { gateway, gatewayAccount };
      return callGateway(target, async () => (await resolve(target)).void(request));
    },
  };
}
