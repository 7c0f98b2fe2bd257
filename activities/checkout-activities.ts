import { ApplicationFailure } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import { inTransaction, sqlFor } from '../src/db/sql';
import { recordEvent } from '../src/events/event-recorder';
import { MerchantRepository } from '../src/merchants/merchant-repository';
import { PaymentRepository } from '../src/payments/payment-repository';
import type { PaymentService } from '../src/payments/payment-service';
import type { PaymentRecord } from '../src/payments/payment-record';
import { ApiError } from '../src/shared/api-error';
import { CheckoutRepository } from '../src/checkout/checkout-repository';
import type { CheckoutPaymentView, CheckoutState } from '../src/checkout/checkout-state';
import { renderCheckoutSession } from '../src/checkout/checkout-view';

export interface CheckoutActivityDeps {
  orm: MikroORM;
  /** Runs a checkout's attempts as ordinary payments: routing, fraud rules, failover and 3-D Secure as for the API's. */
  checkoutPayments?: PaymentService;
  publicUrl: string;
}

/** How often a waiting checkout re-reads its payment's record. */
const PAYMENT_POLL_MS = 250;

function viewOf(
  payment: Pick<PaymentRecord, 'id' | 'status' | 'gatewayReference' | 'nextAction' | 'failureCode' | 'failureMessage'>,
): CheckoutPaymentView {
  return {
    paymentId: payment.id,
    status: payment.status,
    gatewayReference: payment.gatewayReference ?? null,
    actionUrl: payment.status === 'requires_action' ? (payment.nextAction?.url ?? null) : null,
    failureCode: payment.failureCode ?? null,
    failureMessage: payment.failureMessage ?? null,
  };
}

export function createCheckoutActivities(deps: CheckoutActivityDeps) {
  return {
    /** Writes the session's state (never over a newer one) and, in the same transaction, its completed or expired event. */
    async recordCheckoutSession({
      state,
      event,
    }: {
      state: CheckoutState;
      event?: 'checkout.session.completed' | 'checkout.session.expired';
    }) {
      await inTransaction(deps.orm, async (sql) => {
        const repository = new CheckoutRepository(sql);
        await repository.applyState(state, new Date());
        if (!event) return;
        const session = await repository.find(state.sessionId);
        if (!session) return;
        await recordEvent(sql, {
          merchantId: state.merchantId,
          type: event,
          idempotencyKey: `checkout:${state.sessionId}:${event}`,
          objectType: 'checkout.session',
          objectId: state.sessionId,
          object: { ...renderCheckoutSession(session, deps.publicUrl) },
        });
      });
    },

    /**
     * Starts the attempt's payment (or finds it again: the attempt's key is the payment's Idempotency-Key) and
     * answers with it once first decided. A refusal before any payment exists is final (`CheckoutPaymentRefused`).
     */
    async startCheckoutPayment(request: {
      sessionId: string;
      paymentId: string;
      attempt: number;
      source: string;
      /** The session's own time for 3-D Secure. */
      actionTimeoutMs?: number;
    }): Promise<CheckoutPaymentView> {
      if (!deps.checkoutPayments) throw new Error('This worker was built without the payment service checkout attempts need');
      const session = await new CheckoutRepository(sqlFor(deps.orm.em.fork())).find(request.sessionId);
      if (!session) throw ApplicationFailure.nonRetryable(`No checkout session ${request.sessionId}`, 'CheckoutPaymentRefused');
      const merchant = await new MerchantRepository(deps.orm.em.fork()).findById(session.merchantId);
      if (!merchant) throw ApplicationFailure.nonRetryable(`No merchant ${session.merchantId}`, 'CheckoutPaymentRefused');
      try {
        const { payment } = await deps.checkoutPayments.create(
          merchant,
          {
            amountMinor: session.amountMinor,
            currency: session.currency,
            source: request.source,
            description: session.description,
            captureMethod: session.captureMethod,
            metadata: { ...session.metadata, checkout_session: session.id },
            returnUrl: `${deps.publicUrl.replace(/\/+$/, '')}/pay/${session.id}/return`,
            gatewayAccount: null,
            ...(session.customerEmail ? { receiptEmail: session.customerEmail } : {}),
          },
          { key: `checkout:${session.id}:attempt:${request.attempt}`, method: 'POST', path: `/pay/${session.id}` },
          { paymentId: request.paymentId, actionTimeoutMs: request.actionTimeoutMs },
        );
        return {
          paymentId: payment.id,
          status: payment.status,
          gatewayReference: payment.gateway_reference,
          actionUrl: payment.next_action?.redirect_to_url?.url ?? null,
          failureCode: payment.failure_code,
          failureMessage: payment.failure_message,
        };
      } catch (error) {
        // A refusal of the request itself (an unusable source, no gateway for the currency) will not change on a retry;
        // the attempt's key still held by this activity's previous try (timed out mid-call) will, so that one is retried.
        if (error instanceof ApiError && error.status < 500 && error.code !== 'idempotency_key_in_use')
          throw ApplicationFailure.create({
            type: 'CheckoutPaymentRefused',
            message: error.message,
            nonRetryable: true,
            details: [{ code: error.code, param: error.param ?? null }],
          });
        throw error;
      }
    },

    /** Answers once the payment's status differs from `knownStatus`, or after `maxWaitMs` with it unchanged. */
    async awaitCheckoutPayment({
      paymentId,
      knownStatus,
      maxWaitMs,
    }: {
      paymentId: string;
      knownStatus: string;
      maxWaitMs: number;
    }): Promise<CheckoutPaymentView> {
      const deadline = Date.now() + maxWaitMs;
      for (;;) {
        const payment = await new PaymentRepository(deps.orm.em.fork()).findById(paymentId);
        if (payment && (payment.status !== knownStatus || Date.now() >= deadline)) return viewOf(payment);
        if (!payment && Date.now() >= deadline) throw new Error(`Payment ${paymentId} has no record yet`);
        await new Promise((resolve) => setTimeout(resolve, PAYMENT_POLL_MS));
      }
    },
  };
}
