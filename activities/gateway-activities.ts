import { ApplicationFailure, Context, log } from '@temporalio/activity';
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
  type ModificationStatus,
  type PaymentGateway,
  type TechnicalCancelRequest,
  type VoidRequest,
  type VoidResult,
} from '../src/gateways/payment-gateway';
import type { Orm } from '../src/db/orm';
import { authorizationAttemptsTotal, authorizationFailoversTotal, gatewayConfigurationFaults } from '../src/metrics/metrics';
import { GatewayCoolDowns } from '../src/routing/gateway-cool-downs';
import { PAYMENT_FAILURES, type PaymentFailureType } from '../src/shared/failure-types';

export interface GatewayActivityDeps {
  /** The built-in gateways (the sandbox). */
  gateways: GatewayRegistry;
  /** Merchants' gateway accounts; without it only the built-in gateways are reachable (some workflow tests). */
  adapters?: GatewayAdapters;
  /** Where accounts' unavailable answers are recorded for the router's cool-down; without it nothing is recorded. */
  orm?: Orm;
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

type AttemptOutcome = 'approved' | 'requires_action' | 'soft_decline' | 'hard_decline' | 'unavailable' | 'unknown';

/** How an authorization attempt counts in the per-account metrics. */
function attemptOutcome(failureType: PaymentFailureType): AttemptOutcome {
  if (failureType === 'GatewayUnavailable') return 'unavailable';
  const failure: { retryable: boolean; retryElsewhere?: boolean } = PAYMENT_FAILURES[failureType];
  if (failure.retryElsewhere) return 'soft_decline';
  // A timeout (and any other retryable fault) leaves the outcome open until the retry or status sync settles it.
  return failure.retryable ? 'unknown' : 'hard_decline';
}

// The payment workflow's keys: `<pay_id>:authorize` for the first attempt, `<pay_id>:authorize:N` for the Nth (N >= 2, a failover).
const FAILOVER_KEY = /:authorize:(\d+)$/;

export function createGatewayActivities({ gateways, adapters, orm }: GatewayActivityDeps) {
  const resolve = (target: GatewayTarget): Promise<PaymentGateway> =>
    adapters ? adapters.resolve(target) : Promise.resolve(gateways.get(target.gateway));
  const coolDowns = orm ? new GatewayCoolDowns({ orm }) : undefined;
  return {
    /** Authorizes (and with `capture`, captures) at the gateway under the payment's authorize key. */
    async authorizePayment({ gateway, gatewayAccount, ...request }: WithGateway<AuthorizeRequest>): Promise<AuthorizeResult> {
      const target = { gateway, gatewayAccount };
      const labels = { gateway, gateway_account: gatewayAccount ?? '' };
      const failover = FAILOVER_KEY.exec(request.idempotencyKey);
      // Counted once per failover attempt, not per retry of it.
      if (failover && Number(failover[1]) >= 2 && Context.current().info.attempt === 1) authorizationFailoversTotal.inc(labels);
      try {
        const result = await callGateway(target, async () => (await resolve(target)).authorize(request));
        authorizationAttemptsTotal.inc({ ...labels, outcome: result.status === 'requires_action' ? 'requires_action' : 'approved' });
        return result;
      } catch (error) {
        const type = error instanceof ApplicationFailure ? (error.type as PaymentFailureType | undefined) : undefined;
        const outcome = type && type in PAYMENT_FAILURES ? attemptOutcome(type) : 'unknown';
        authorizationAttemptsTotal.inc({ ...labels, outcome });
        if (outcome === 'unavailable' && gatewayAccount && coolDowns) await coolDowns.recordUnavailable(gatewayAccount, gateway);
        throw error;
      }
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
    /**
     * Technical cancel of an authorization whose answer never came, by our payment id (Adyen). False when the
     * gateway has none: its status sync can always answer, so the workflow never needs one.
     */
    async cancelUnknownAuthorization({ gateway, gatewayAccount, ...request }: WithGateway<TechnicalCancelRequest>): Promise<boolean> {
      const target = { gateway, gatewayAccount };
      return callGateway(target, async () => {
        const adapter = await resolve(target);
        if (!adapter.cancelUnknownAuthorization) return false;
        await adapter.cancelUnknownAuthorization(request);
        return true;
      });
    },
    /** What the gateway's stored notifications say of a capture or cancel it only received (when a confirmation is late). */
    async lookupModification({ gateway, gatewayAccount, reference }: GatewayTarget & { reference: string }): Promise<ModificationStatus> {
      const target = { gateway, gatewayAccount };
      return callGateway(target, async () => {
        const adapter = await resolve(target);
        return adapter.lookupModification ? adapter.lookupModification(reference) : 'pending';
      });
    },
  };
}
