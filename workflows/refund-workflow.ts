import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { isPaymentFailureType, NON_RETRYABLE_FAILURE_TYPES, PAYMENT_FAILURES, type PaymentFailureType } from '../src/shared/failure-types';
import { formatMinor } from '../src/shared/money';
import type { GatewayRefundEvent, RefundState, RefundWorkflowInput } from '../src/refunds/refund-state';
import { RefundStatusKey } from '../src/temporal/search-attributes';

/** The refund's full current state. */
export const getRefundStateQuery = defineQuery<RefundState>('getRefundState');
/** Returns once the refund is decided: succeeded, failed, or rejected because the amount was no longer available. */
export const waitForRefundDecisionUpdate = defineUpdate<RefundState>('waitForDecision');
/** The gateway settled a refund it had accepted as pending (its refund event). */
export const gatewayRefundEventSignal = defineSignal<[GatewayRefundEvent]>('gatewayRefundEvent');

// A pending refund asks the gateway this often, in case its event was lost.
const PENDING_REFUND_SYNC_MS = 15 * 60_000;

const options: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
};
const { recordRefundOutcome, refundPayment, reserveRefund, lookupRefund } = proxyActivities<Activities>(options);

function failureType(error: unknown): PaymentFailureType | undefined {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && isPaymentFailureType(error.cause.type))
    return error.cause.type;
  return undefined;
}

/** One refund: hold the amount against the payment, refund at the gateway under the refund's own key, then record the outcome. */
export async function refundWorkflow(input: RefundWorkflowInput): Promise<RefundState> {
  const state: RefundState = { ...input, status: 'pending', gatewayReference: null, failureCode: null, failureMessage: null };
  const money = `${input.currency} ${formatMinor(input.amountMinor, input.currency)}`;
  const gatewayEvents: GatewayRefundEvent[] = [];
  setHandler(getRefundStateQuery, () => state);
  setHandler(gatewayRefundEventSignal, (event) => void gatewayEvents.push(event));
  setHandler(waitForRefundDecisionUpdate, async () => {
    await condition(() => state.status !== 'pending');
    return state;
  });

  const publish = (details: string) => {
    upsertSearchAttributes([{ key: RefundStatusKey, value: state.status }]);
    setCurrentDetails(`**${state.status}**: ${details}`);
  };

  setCurrentDetails(`**pending**: holding ${money} of ${input.paymentId}`);
  try {
    await reserveRefund.executeWithOptions({ ...options, summary: `hold ${money} of ${input.paymentId}` }, [input]);
  } catch (error) {
    const type = failureType(error);
    if (!type) throw error;
    Object.assign(state, { status: 'rejected', failureCode: PAYMENT_FAILURES[type].code, failureMessage: PAYMENT_FAILURES[type].message });
    publish('the amount is no longer refundable; nothing was written');
    await condition(allHandlersFinished);
    return state;
  }

  let next: Partial<RefundState>;
  try {
    setCurrentDetails(`**pending**: refunding ${money} at ${input.gateway}`);
    const refund = await refundPayment.executeWithOptions({ ...options, summary: `refund ${money} at ${input.gateway}` }, [
      {
        gateway: input.gateway,
        ...(input.gatewayAccount ? { gatewayAccount: input.gatewayAccount } : {}),
        idempotencyKey: `${input.refundId}:refund`,
        reference: input.paymentGatewayReference,
        amountMinor: input.amountMinor,
        currency: input.currency,
      },
    ]);
    next =
      refund.status === 'pending'
        ? await awaitPendingRefund(input, refund.reference, gatewayEvents, money)
        : { status: 'succeeded', gatewayReference: refund.reference };
  } catch (error) {
    const type = failureType(error);
    if (!type) throw error;
    next = { status: 'failed', failureCode: PAYMENT_FAILURES[type].code, failureMessage: PAYMENT_FAILURES[type].message };
  }
  // Persist, then publish: whoever sees the decision can rely on it being stored.
  await recordRefundOutcome.executeWithOptions({ ...options, summary: `record refund ${next.status}` }, [{ state: { ...state, ...next } }]);
  Object.assign(state, next);
  publish(state.status === 'succeeded' ? `${money} returned to the card` : `the gateway refused; ${money} is refundable again`);
  await condition(allHandlersFinished);
  return state;
}

/**
 * A refund the gateway accepted as pending: its event (charge.refund.updated) or a periodic lookup says
 * how it ended. Until then the refund stays pending, and its amount stays held against the payment.
 */
async function awaitPendingRefund(
  input: RefundWorkflowInput,
  reference: string,
  events: GatewayRefundEvent[],
  money: string,
): Promise<Partial<RefundState>> {
  setCurrentDetails(`**pending**: ${input.gateway} accepted the refund of ${money} (${reference}) and settles it later`);
  const target = { gateway: input.gateway, ...(input.gatewayAccount ? { gatewayAccount: input.gatewayAccount } : {}) };
  for (;;) {
    let outcome: 'succeeded' | 'failed' | 'pending';
    if (await condition(() => events.some((event) => event.reference === reference), PENDING_REFUND_SYNC_MS)) {
      outcome = (events.find((event) => event.reference === reference) as GatewayRefundEvent).outcome;
    } else {
      outcome = (await lookupRefund({ ...target, reference })).status;
    }
    if (outcome === 'succeeded') return { status: 'succeeded', gatewayReference: reference };
    if (outcome === 'failed')
      return {
        status: 'failed',
        gatewayReference: reference,
        failureCode: PAYMENT_FAILURES.RefundFailed.code,
        failureMessage: PAYMENT_FAILURES.RefundFailed.message,
      };
  }
}
