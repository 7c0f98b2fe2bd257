import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type Stripe from 'stripe';
import type { Orm } from '../../db/orm';
import { sqlFor } from '../../db/sql';
import type { DisputeService } from '../../disputes/dispute-service';
import type { GatewayAccountCredentials } from '../../gateway-accounts/gateway-account-credentials';
import type { GatewayAdapters } from '../../gateway-accounts/gateway-account-adapters';
import type { StripeGateway } from './stripe-gateway';
import { GatewayAccountRepository } from '../../gateway-accounts/gateway-account-repository';
import type { Logger } from '../../logger';
import { PaymentRepository } from '../../payments/payment-repository';
import { paymentWorkflowId, type GatewayPaymentEvent } from '../../payments/payment-state';
import { ApiError } from '../../shared/api-error';
import { gatewayPaymentEventSignal } from '../../../workflows/payment-workflow';
import { authorizationStatusOf, PAYMENT_ID_METADATA, REFUND_KEY_METADATA, type PaymentIntentLike } from './stripe-mapping';
import { RefundRepository } from '../../refunds/refund-repository';
import { refundWorkflowId } from '../../refunds/refund-state';
import { gatewayRefundEventSignal } from '../../../workflows/refund-workflow';
import { refundsFailedAfterSuccess } from '../../metrics/metrics';
import { PayoutRepository } from '../../payouts/payout-repository';
import { payoutWorkflowId } from '../../payouts/payout-state';
import { payoutTransferUpdatedSignal } from '../../../workflows/payout-workflow';

/** The fields of a Stripe Refund the receiver reads. */
interface StripeRefundLike {
  id: string;
  status?: string | null;
  metadata?: Record<string, string> | null;
}

/** The fields of a Stripe Payout the receiver reads. */
interface StripePayoutLike {
  id: string;
  metadata?: Record<string, string> | null;
}

/** What the receiver did with an event, for the answer to Stripe and for tests. */
export interface StripeEventReceipt {
  received: true;
  /** `ignored`: a type we do not act on, or an object that is not ours. */
  action:
    | 'payment_signalled'
    | 'refund_signalled'
    | 'refund_failed_after_success'
    | 'payout_signalled'
    | 'dispute_opened'
    | 'dispute_closed'
    | 'ignored';
  dispute?: unknown;
}

// Verification only needs the SDK's webhook helpers, which never call Stripe: no key is involved. The SDK is loaded
// with the first event, not with every API process.
let webhooks: Stripe['webhooks'] | undefined;
async function stripeWebhooks(): Promise<Stripe['webhooks']> {
  if (!webhooks) {
    const { default: StripeSdk } = await import('stripe');
    webhooks = new StripeSdk('sk_test_webhook_verification_only').webhooks;
  }
  return webhooks;
}

/**
 * Stripe's events for one gateway account: verified with the SDK's own `constructEvent` against the
 * account's webhook signing secret on the raw body, then fed into the running workflows. Every action
 * is idempotent (signals carry the event id, disputes are keyed by Stripe's dispute id), so Stripe's
 * redeliveries change nothing.
 */
export class StripeEventReceiver {
  constructor(
    private readonly deps: {
      orm: Orm;
      temporal: Client;
      disputes: DisputeService;
      credentials: GatewayAccountCredentials;
      adapters: GatewayAdapters;
      logger: Logger;
    },
  ) {}

  /**
   * Verifies and applies one event sent to the account's endpoint.
   * @throws 404 resource_missing, 400 invalid_signature, 400 payment_not_disputable, 409 dispute_unexpected_state, 409 dispute_operation_in_progress, 503 dispute_pending, 503 engine_unavailable
   */
  async receive(accountId: string, rawBody: string, signature: string | undefined): Promise<StripeEventReceipt> {
    const account = await new GatewayAccountRepository(sqlFor(this.deps.orm.em.fork())).findById(accountId);
    if (!account || account.gateway !== 'stripe') throw ApiError.notFound('Gateway account not found', 'resource_missing', 'account');
    const secret = this.deps.credentials.open(account).webhook_secret;
    if (!secret)
      throw ApiError.badRequest(
        'This gateway account has no webhook_secret: add it with PATCH /v1/gateway_accounts/{id}',
        'invalid_signature',
        'Stripe-Signature',
      );
    const verifier = await stripeWebhooks();
    let event: Stripe.Event;
    try {
      event = verifier.constructEvent(rawBody, signature ?? '', secret);
    } catch {
      throw ApiError.badRequest('Invalid or missing Stripe-Signature', 'invalid_signature', 'Stripe-Signature');
    }
    this.deps.logger.info({ gatewayAccountId: accountId, eventId: event.id, type: event.type }, 'stripe event received');
    switch (event.type) {
      case 'payment_intent.succeeded':
      case 'payment_intent.amount_capturable_updated':
      case 'payment_intent.payment_failed':
      case 'payment_intent.canceled':
        return this.signalPayment(
          accountId,
          event.id,
          event.data.object as unknown as PaymentIntentLike & { metadata?: Record<string, string> },
        );
      case 'charge.refund.updated':
      case 'refund.updated':
      case 'refund.failed':
        return this.settleRefund(accountId, event.id, event.data.object as unknown as StripeRefundLike);
      case 'payout.paid':
      case 'payout.failed':
      case 'payout.canceled':
      case 'payout.updated':
        return this.nudgePayout(accountId, event.id, event.type, event.data.object as unknown as StripePayoutLike);
      case 'charge.dispute.created':
        return this.openDispute(accountId, event.data.object);
      case 'charge.dispute.closed':
        return this.closeDispute(event.data.object);
      default:
        return { received: true, action: 'ignored' };
    }
  }

  /** Tells the payment's workflow what became of the authorization it is waiting on (the customer's authentication). */
  private async signalPayment(
    accountId: string,
    eventId: string,
    intent: PaymentIntentLike & { metadata?: Record<string, string> },
  ): Promise<StripeEventReceipt> {
    const paymentId = intent.metadata?.[PAYMENT_ID_METADATA];
    const payment = paymentId ? await new PaymentRepository(this.deps.orm.em.fork()).findById(paymentId) : null;
    // Only our own PaymentIntents, made through this very account, are acted on.
    if (!payment || payment.gatewayAccountId !== accountId) return { received: true, action: 'ignored' };
    // Only a payment waiting for its customer listens. Its record says requires_action before the customer can act,
    // because the customer learns of the action from that record; every other event confirms what the workflow decided.
    if (payment.status !== 'requires_action') return { received: true, action: 'ignored' };
    const status = authorizationStatusOf(intent);
    const event: GatewayPaymentEvent | undefined =
      status.outcome === 'authorized'
        ? { eventId, outcome: 'authorized', reference: intent.id }
        : status.outcome === 'captured'
          ? { eventId, outcome: 'captured', reference: intent.id, capturedMinor: status.capturedMinor }
          : status.outcome === 'declined'
            ? { eventId, outcome: 'failed', reference: intent.id, failureType: status.failureType }
            : status.outcome === 'canceled'
              ? { eventId, outcome: 'canceled', reference: intent.id }
              : undefined;
    if (!event) return { received: true, action: 'ignored' };
    try {
      await this.deps.temporal.workflow.getHandle(paymentWorkflowId(payment.id)).signal(gatewayPaymentEventSignal, event);
    } catch (error) {
      // The payment has finished (this event confirms what it already recorded): nothing is waiting for it.
      if (error instanceof WorkflowNotFoundError) return { received: true, action: 'ignored' };
      throw error;
    }
    return { received: true, action: 'payment_signalled' };
  }

  /**
   * A refund Stripe accepted as pending has settled: its workflow, still waiting, is told. A refund we
   * recorded as succeeded that Stripe now reports failed (a card closed since) cannot be taken back by an
   * event: it is logged and counted for ops, who reverse it by hand.
   */
  private async settleRefund(accountId: string, eventId: string, refund: StripeRefundLike): Promise<StripeEventReceipt> {
    const refundId = refund.metadata?.[REFUND_KEY_METADATA]?.split(':')[0];
    if (!refundId || (refund.status !== 'succeeded' && refund.status !== 'failed' && refund.status !== 'canceled'))
      return { received: true, action: 'ignored' };
    const em = this.deps.orm.em.fork();
    const ours = await new RefundRepository(em).findById(refundId);
    const payment = ours ? await new PaymentRepository(em).findById(ours.paymentId) : null;
    if (!ours || !payment || payment.gatewayAccountId !== accountId) return { received: true, action: 'ignored' };
    const outcome = refund.status === 'succeeded' ? 'succeeded' : 'failed';
    if (ours.status === 'pending') {
      try {
        await this.deps.temporal.workflow
          .getHandle(refundWorkflowId(refundId))
          .signal(gatewayRefundEventSignal, { eventId, reference: refund.id, outcome });
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return { received: true, action: 'ignored' };
        throw error;
      }
      return { received: true, action: 'refund_signalled' };
    }
    if (ours.status === 'succeeded' && outcome === 'failed') {
      refundsFailedAfterSuccess.inc({ gateway: 'stripe' });
      this.deps.logger.error(
        { refundId, paymentId: payment.id, gatewayAccountId: accountId, stripeRefund: refund.id, eventId },
        'Stripe reports a refund we recorded as succeeded as failed: the money did not reach the card; reverse it by hand',
      );
      return { received: true, action: 'refund_failed_after_success' };
    }
    return { received: true, action: 'ignored' };
  }

  /**
   * Wakes the payout's workflow to ask Stripe about the payout now rather than at its next check. The event is not
   * trusted for the outcome (events arrive late, twice and out of order): the workflow's own answer from Stripe decides.
   */
  private async nudgePayout(accountId: string, eventId: string, type: string, payout: StripePayoutLike): Promise<StripeEventReceipt> {
    // The metadata key lives beside the payouts adapter, which loads Stripe's SDK: imported with the first event, as the SDK is.
    const { PAYOUT_ID_METADATA } = await import('./stripe-payouts');
    const payoutId = payout.metadata?.[PAYOUT_ID_METADATA];
    // Only the very payout one of ours sent through this account: metadata alone can be copied onto any payout.
    const ours = payoutId
      ? await new PayoutRepository(sqlFor(this.deps.orm.em.fork())).findGatewayTransfer(payoutId, accountId, payout.id)
      : null;
    if (!ours) return { received: true, action: 'ignored' };
    try {
      await this.deps.temporal.workflow.getHandle(payoutWorkflowId(ours.id)).signal(payoutTransferUpdatedSignal, { eventId, type });
    } catch (error) {
      // The payout's workflow has finished (its return watch is over): nothing is asking Stripe any more.
      if (error instanceof WorkflowNotFoundError) return { received: true, action: 'ignored' };
      throw error;
    }
    return { received: true, action: 'payout_signalled' };
  }

  private async openDispute(accountId: string, object: unknown): Promise<StripeEventReceipt> {
    const dispute = object as { id: string; payment_intent?: string | null; amount?: number; reason?: string };
    if (!dispute.payment_intent) return { received: true, action: 'ignored' };
    const payment = await new PaymentRepository(this.deps.orm.em.fork()).findByGatewayReference('stripe', dispute.payment_intent);
    if (!payment) return this.disputeOfUnrecordedCharge(accountId, dispute.payment_intent);
    // A dispute of a charge made through another account is not this account's to open.
    if (payment.gatewayAccountId !== accountId) return { received: true, action: 'ignored' };
    const opened = await this.deps.disputes.openFromNetwork({
      gateway: 'stripe',
      charge: dispute.payment_intent,
      amountMinor: dispute.amount,
      reason: dispute.reason ?? 'general',
      networkReference: dispute.id,
    });
    return { received: true, action: 'dispute_opened', dispute: opened };
  }

  /**
   * A dispute of a PaymentIntent we hold no charge for. Ours, not recorded yet (a worker restarted after
   * charging): 503, so Stripe sends the event again, as it does for days. Not ours (the Stripe account is
   * also used elsewhere): acknowledged and ignored, or Stripe would retry it for days and may disable the endpoint.
   */
  private async disputeOfUnrecordedCharge(accountId: string, paymentIntentId: string): Promise<StripeEventReceipt> {
    const adapter = await this.deps.adapters.resolve({ gateway: 'stripe', gatewayAccount: accountId });
    let paymentId: string | null;
    try {
      paymentId = adapter.name === 'stripe' ? await (adapter as StripeGateway).paymentIdOf(paymentIntentId) : null;
    } catch {
      throw ApiError.unavailable('Stripe could not be asked about the disputed PaymentIntent; send the event again', 'dispute_pending');
    }
    const payment = paymentId ? await new PaymentRepository(this.deps.orm.em.fork()).findById(paymentId) : null;
    if (!payment || payment.gatewayAccountId !== accountId) return { received: true, action: 'ignored' };
    throw ApiError.unavailable(`The charge of ${payment.id} is still being recorded; send the event again`, 'dispute_pending');
  }

  private async closeDispute(object: unknown): Promise<StripeEventReceipt> {
    const dispute = object as { id: string; status?: string };
    // Stripe closes disputes as won or lost; warning_closed (an inquiry that never became a chargeback) moved no money.
    if (dispute.status !== 'won' && dispute.status !== 'lost') return { received: true, action: 'ignored' };
    try {
      const closed = await this.deps.disputes.resolveFromNetwork('stripe', dispute.id, dispute.status);
      return { received: true, action: 'dispute_closed', dispute: closed };
    } catch (error) {
      // Closed with us already, otherwise (the merchant accepted it here, which is not yet sent to Stripe): retrying cannot
      // change that, so the event is acknowledged and the disagreement logged for ops.
      if (error instanceof ApiError && error.code === 'dispute_unexpected_state') {
        this.deps.logger.warn(
          { stripeDispute: dispute.id, stripeStatus: dispute.status },
          'Stripe closed a dispute we had already closed otherwise',
        );
        return { received: true, action: 'ignored' };
      }
      throw error;
    }
  }
}
