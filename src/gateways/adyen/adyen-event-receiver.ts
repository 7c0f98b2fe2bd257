import type { hmacValidator as HmacValidator } from './adyen-library';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Orm } from '../../db/orm';
import { sqlFor } from '../../db/sql';
import type { DisputeService } from '../../disputes/dispute-service';
import type { GatewayAccountCredentials } from '../../gateway-accounts/gateway-account-credentials';
import type { GatewayAdapters } from '../../gateway-accounts/gateway-account-adapters';
import { GatewayAccountRepository } from '../../gateway-accounts/gateway-account-repository';
import type { Logger } from '../../logger';
import { capturesFailedAfterSuccess, refundsFailedAfterSuccess } from '../../metrics/metrics';
import type { PaymentRecord } from '../../payments/payment-record';
import { PaymentRepository } from '../../payments/payment-repository';
import { paymentWorkflowId, type GatewayModificationEvent, type GatewayPaymentEvent } from '../../payments/payment-state';
import { RefundRepository } from '../../refunds/refund-repository';
import { refundWorkflowId } from '../../refunds/refund-state';
import { ApiError } from '../../shared/api-error';
import { gatewayModificationEventSignal, gatewayPaymentEventSignal } from '../../../workflows/payment-workflow';
import { gatewayRefundEventSignal } from '../../../workflows/refund-workflow';
import { refusalFailureType } from './adyen-mapping';
import type { AdyenNotificationRecord } from './adyen-notification-record';
import { AdyenNotificationRepository } from './adyen-notification-repository';

/** Adyen's answer to a batch it may consider delivered: exactly this text, or it sends the batch again. */
export const ADYEN_ACCEPTED = '[accepted]';

type HmacItem = Parameters<HmacValidator['validateHMAC']>[0];
interface NotificationItem {
  eventCode?: unknown;
  success?: unknown;
  pspReference?: unknown;
  originalReference?: unknown;
  merchantReference?: unknown;
  merchantAccountCode?: unknown;
  amount?: { value?: unknown; currency?: unknown };
  reason?: unknown;
  eventDate?: unknown;
  additionalData?: Record<string, unknown>;
}

const DISPUTE_OPENING = ['NOTIFICATION_OF_CHARGEBACK', 'REQUEST_FOR_INFORMATION', 'CHARGEBACK'];
const DISPUTE_WON = ['CHARGEBACK_REVERSED', 'PREARBITRATION_WON'];
const DISPUTE_LOST = ['SECOND_CHARGEBACK', 'PREARBITRATION_LOST'];
const CONFIRMATIONS = ['CAPTURE', 'CAPTURE_FAILED', 'CANCELLATION', 'TECHNICAL_CANCEL', 'CANCEL_OR_REFUND'];
const REFUND_OUTCOMES = ['REFUND', 'REFUND_FAILED', 'REFUNDED_REVERSED'];
// Adyen's free-text chargeback reasons, matched loosely onto ours; anything else is general.
const DISPUTE_REASON_WORDS: [RegExp, string][] = [
  [/fraud/i, 'fraudulent'],
  [/duplicate/i, 'duplicate'],
  [/not received|non-receipt/i, 'product_not_received'],
  [/credit not processed/i, 'credit_not_processed'],
  [/cancel/i, 'subscription_canceled'],
];

/**
 * An Adyen account's notifications (`POST /v1/gateway_events/adyen/:account`): every item's HMAC is
 * checked with the library's own validator against the account's HMAC key, each item is kept once
 * (pspReference, eventCode, success) and then applied. Applying is idempotent too (workflow signals
 * carry the item's identity, disputes are keyed by the payment's pspReference), so Adyen's redeliveries,
 * duplicates and out-of-order items change nothing. Any failure leaves the batch unaccepted: Adyen sends it again.
 */
export class AdyenEventReceiver {
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
   * Verifies and applies one batch sent to the account's endpoint; answers Adyen's `[accepted]`.
   * @throws 404 resource_missing, 400 invalid_signature, 400 invalid_event, 503 dispute_pending, 503 engine_unavailable
   */
  async receive(accountId: string, body: unknown): Promise<typeof ADYEN_ACCEPTED> {
    const account = await new GatewayAccountRepository(sqlFor(this.deps.orm.em.fork())).findById(accountId);
    if (!account || account.gateway !== 'adyen') throw ApiError.notFound('Gateway account not found', 'resource_missing', 'account');
    const credentials = this.deps.credentials.open(account);
    const items = itemsOf(body);
    // Loaded here, not with the API: the library is large and most deployments may never receive a notification.
    const { hmacValidator } = await import('./adyen-library');
    const validator = new hmacValidator();
    // The whole batch is checked before anything of it is applied: one forged item and none counts.
    items.forEach((item, index) => {
      let valid = false;
      try {
        valid = validator.validateHMAC(item as unknown as HmacItem, credentials.hmac_key);
      } catch {
        valid = false;
      }
      if (!valid)
        throw ApiError.badRequest(
          `Invalid or missing HMAC signature on notification item ${index}`,
          'invalid_signature',
          `notificationItems[${index}].NotificationRequestItem.additionalData.hmacSignature`,
        );
    });
    for (const item of items) {
      // Another merchant account's item on a shared webhook: not this account's to act on.
      if (item.merchantAccountCode !== credentials.merchant_account) continue;
      const notification = notificationOf(item);
      const firstTime = await new AdyenNotificationRepository(sqlFor(this.deps.orm.em.fork())).record(accountId, notification);
      this.deps.logger.info(
        {
          gatewayAccountId: accountId,
          eventCode: notification.eventCode,
          pspReference: notification.pspReference,
          success: notification.success,
        },
        'adyen notification received',
      );
      await this.apply(accountId, notification, firstTime);
    }
    return ADYEN_ACCEPTED;
  }

  private async apply(accountId: string, notification: AdyenNotificationRecord, firstTime: boolean): Promise<void> {
    const code = notification.eventCode;
    if (code === 'AUTHORISATION') return this.authorisation(accountId, notification);
    if (CONFIRMATIONS.includes(code)) return this.confirmation(accountId, notification, firstTime);
    if (REFUND_OUTCOMES.includes(code)) return this.refundOutcome(accountId, notification);
    if (DISPUTE_OPENING.includes(code) || DISPUTE_WON.includes(code) || DISPUTE_LOST.includes(code))
      return this.dispute(accountId, notification);
    // REPORT_AVAILABLE, INFORMATION_SUPPLIED, DISPUTE_DEFENSE_PERIOD_ENDED ...: kept, nothing to do.
  }

  /** A payment waiting for its customer learns how the authentication ended; status sync reads the stored item. */
  private async authorisation(accountId: string, notification: AdyenNotificationRecord): Promise<void> {
    const payment = await this.paymentOf(accountId, notification.merchantReference);
    if (!payment) return;
    if (payment.status === 'requires_action') {
      const eventId = identityOf(notification);
      const event: GatewayPaymentEvent = notification.success
        ? payment.captureMethod === 'automatic'
          ? {
              eventId,
              outcome: 'captured',
              reference: notification.pspReference,
              capturedMinor: notification.amountMinor ?? payment.amountMinor,
            }
          : { eventId, outcome: 'authorized', reference: notification.pspReference }
        : {
            eventId,
            outcome: 'failed',
            reference: notification.pspReference,
            failureType: refusalFailureType({ refusalReason: notification.reason }),
          };
      await this.signal(payment.id, (handle) => handle.signal(gatewayPaymentEventSignal, event));
      return;
    }
    // An authorization landing after we failed or canceled the payment (a technical cancel found nothing yet, and the
    // request reached Adyen after all): undone at once, so no money stays taken for a payment the merchant sees as failed.
    if (notification.success && (payment.status === 'failed' || payment.status === 'canceled')) {
      const sale = payment.captureMethod === 'automatic';
      this.deps.logger.warn(
        { paymentId: payment.id, gatewayAccountId: accountId, pspReference: notification.pspReference },
        `Adyen authorised a payment we had already closed: ${sale ? 'refunding' : 'canceling'} it`,
      );
      const adapter = await this.deps.adapters.resolve({ gateway: 'adyen', gatewayAccount: accountId });
      const undo = {
        reference: notification.pspReference,
        amountMinor: notification.amountMinor ?? payment.amountMinor,
        currency: notification.currency ?? payment.currency,
      };
      if (sale) await adapter.refund({ ...undo, idempotencyKey: `${payment.id}:stray_refund` });
      else await adapter.void({ ...undo, idempotencyKey: `${payment.id}:stray_cancel` });
    }
  }

  /** CAPTURE, CAPTURE_FAILED, CANCELLATION, TECHNICAL_CANCEL: the payment's workflow waits for the one of its modification. */
  private async confirmation(accountId: string, notification: AdyenNotificationRecord, firstTime: boolean): Promise<void> {
    const payment =
      (await this.paymentOf(accountId, notification.merchantReference)) ??
      (notification.originalReference
        ? await new PaymentRepository(this.deps.orm.em.fork()).findByGatewayReference('adyen', notification.originalReference)
        : null);
    if (!payment || payment.gatewayAccountId !== accountId) return;
    // Adyen may fail a capture after confirming it (the scheme refused it later): the payment stays succeeded, as
    // final states do, and ops reverse it by hand; counted once, however often the item is redelivered.
    if (notification.eventCode === 'CAPTURE_FAILED' && payment.status === 'succeeded' && firstTime) {
      capturesFailedAfterSuccess.inc({ gateway: 'adyen' });
      this.deps.logger.error(
        { paymentId: payment.id, gatewayAccountId: accountId, pspReference: notification.pspReference },
        'Adyen reports a capture we recorded as succeeded as failed: the money did not move; reverse it by hand',
      );
    }
    const event: GatewayModificationEvent = {
      eventId: identityOf(notification),
      reference: notification.pspReference,
      outcome: notification.eventCode !== 'CAPTURE_FAILED' && notification.success ? 'succeeded' : 'failed',
      ...(notification.reason ? { reason: notification.reason.slice(0, 200) } : {}),
    };
    await this.signal(payment.id, (handle) => handle.signal(gatewayModificationEventSignal, event));
  }

  /** REFUND, REFUND_FAILED, REFUNDED_REVERSED: the refund's workflow, still pending, is told; a reversal after success goes to ops. */
  private async refundOutcome(accountId: string, notification: AdyenNotificationRecord): Promise<void> {
    const refundId = notification.merchantReference?.split(':')[0];
    const em = this.deps.orm.em.fork();
    const refund = refundId ? await new RefundRepository(em).findById(refundId) : null;
    const payment = refund ? await new PaymentRepository(em).findById(refund.paymentId) : null;
    if (!refund || !payment || payment.gatewayAccountId !== accountId) return;
    const outcome = notification.eventCode === 'REFUND' && notification.success ? 'succeeded' : 'failed';
    if (refund.status === 'pending') {
      try {
        await this.deps.temporal.workflow
          .getHandle(refundWorkflowId(refund.id))
          .signal(gatewayRefundEventSignal, { eventId: identityOf(notification), reference: notification.pspReference, outcome });
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
      return;
    }
    if (refund.status === 'succeeded' && outcome === 'failed') {
      refundsFailedAfterSuccess.inc({ gateway: 'adyen' });
      this.deps.logger.error(
        { refundId: refund.id, paymentId: payment.id, gatewayAccountId: accountId, pspReference: notification.pspReference },
        'Adyen reports a refund we recorded as succeeded as failed: the money did not reach the card; reverse it by hand',
      );
    }
  }

  /**
   * Adyen's dispute stages: the first of NOTIFICATION_OF_CHARGEBACK, REQUEST_FOR_INFORMATION and CHARGEBACK opens
   * the dispute (one per payment, keyed by its pspReference); CHARGEBACK_REVERSED and PREARBITRATION_WON win it,
   * SECOND_CHARGEBACK and PREARBITRATION_LOST lose it. A decision arriving before the opening opens it first.
   */
  private async dispute(accountId: string, notification: AdyenNotificationRecord): Promise<void> {
    const charge = notification.originalReference ?? notification.pspReference;
    // A payment closed without a charge has no Adyen reference: found by our merchant reference instead.
    const payment =
      (await new PaymentRepository(this.deps.orm.em.fork()).findByGatewayReference('adyen', charge)) ??
      (await this.paymentOf(accountId, notification.merchantReference));
    if (!payment || payment.gatewayAccountId !== accountId) return;
    // A chargeback of a payment we closed uncharged (its stray authorization was undone since): nothing of ours to
    // dispute, and refusing it would only make Adyen resend it for days. Ops reconcile it with Adyen.
    if (payment.status === 'failed' || payment.status === 'canceled') {
      this.deps.logger.error(
        { paymentId: payment.id, gatewayAccountId: accountId, pspReference: charge, eventCode: notification.eventCode },
        'Adyen reports a dispute of a payment we closed uncharged: check it in the Customer Area',
      );
      return;
    }
    // Ours but its charge not recorded yet (a worker restarted after charging): refused, so Adyen sends it again.
    if (payment.gatewayReference !== charge)
      throw ApiError.unavailable(`The charge ${charge} is still being recorded; send the notification again`, 'dispute_pending');
    const reason = DISPUTE_REASON_WORDS.find(([words]) => words.test(notification.reason ?? ''))?.[1] ?? 'general';
    await this.deps.disputes.openFromNetwork({
      gateway: 'adyen',
      charge,
      ...(notification.amountMinor ? { amountMinor: notification.amountMinor } : {}),
      reason,
      networkReference: charge,
    });
    const outcome = DISPUTE_WON.includes(notification.eventCode) ? 'won' : DISPUTE_LOST.includes(notification.eventCode) ? 'lost' : null;
    if (!outcome) return;
    try {
      await this.deps.disputes.resolveFromNetwork('adyen', charge, outcome);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'dispute_unexpected_state') {
        this.deps.logger.warn(
          { pspReference: charge, eventCode: notification.eventCode },
          'Adyen decided a dispute we had closed otherwise',
        );
        return;
      }
      throw error;
    }
  }

  /** Our payment by the merchant reference Adyen echoes (`pay_...`, or `pay_...:capture` on a modification), if this account's. */
  private async paymentOf(accountId: string, merchantReference: string | null): Promise<PaymentRecord | null> {
    const paymentId = merchantReference?.split(':')[0];
    if (!paymentId?.startsWith('pay_')) return null;
    const payment = await new PaymentRepository(this.deps.orm.em.fork()).findById(paymentId);
    return payment && payment.gatewayAccountId === accountId ? payment : null;
  }

  private async signal(paymentId: string, send: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<void>): Promise<void> {
    try {
      await send(this.deps.temporal.workflow.getHandle(paymentWorkflowId(paymentId)));
    } catch (error) {
      // The payment has finished: this item confirms what it already recorded.
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }
}

/** Adyen's identity of an item, which every redelivery repeats. */
function identityOf(notification: AdyenNotificationRecord): string {
  return `adyen:${notification.pspReference}:${notification.eventCode}:${notification.success}`;
}

/**
 * The items of a notification batch (`{ live, notificationItems: [{ NotificationRequestItem }] }`).
 * @throws 400 invalid_event
 */
function itemsOf(body: unknown): NotificationItem[] {
  const batch = body as { notificationItems?: unknown } | null;
  if (!batch || !Array.isArray(batch.notificationItems) || batch.notificationItems.length === 0)
    throw ApiError.badRequest('Expected an Adyen notification: { live, notificationItems: [...] }', 'invalid_event', 'notificationItems');
  return batch.notificationItems.map((wrapper: unknown, index: number) => {
    const item = (wrapper as { NotificationRequestItem?: NotificationItem } | null)?.NotificationRequestItem;
    const param = `notificationItems[${index}].NotificationRequestItem`;
    if (!item || typeof item !== 'object') throw ApiError.badRequest('Missing NotificationRequestItem', 'invalid_event', param);
    for (const field of ['eventCode', 'pspReference', 'success', 'merchantAccountCode'] as const)
      if (typeof item[field] !== 'string' || item[field] === '')
        throw ApiError.badRequest(`Missing or invalid ${field}`, 'invalid_event', `${param}.${field}`);
    return item;
  });
}

function notificationOf(item: NotificationItem): AdyenNotificationRecord {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
  const value = item.amount?.value;
  return {
    eventCode: item.eventCode as string,
    success: item.success === 'true',
    pspReference: item.pspReference as string,
    originalReference: text(item.originalReference),
    merchantReference: text(item.merchantReference),
    amountMinor: typeof value === 'number' && Number.isSafeInteger(value) ? value : null,
    currency: text(item.amount?.currency),
    reason: text(item.reason),
    eventDate: text(item.eventDate),
  };
}
