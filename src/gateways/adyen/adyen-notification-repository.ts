import type { Sql } from '../../db/sql';
import type { AuthorizationLookup, AuthorizationStatus, GatewayRefundStatus, ModificationStatus } from '../payment-gateway';
import { refusalFailureType } from './adyen-mapping';
import type { AdyenNotificationRecord } from './adyen-notification-record';

interface NotificationRow {
  event_code: string;
  success: boolean;
  psp_reference: string;
  original_reference: string | null;
  merchant_reference: string | null;
  amount_minor: string | number | null;
  reason?: string | null;
}

// Codes that settle a capture, or undo an authorization, keyed by the modification's own pspReference.
const CAPTURE_CODES = ['CAPTURE', 'CAPTURE_FAILED'];
const CANCEL_CODES = ['CANCELLATION', 'TECHNICAL_CANCEL', 'CANCEL_OR_REFUND'];
const REFUND_CODES = ['REFUND', 'REFUND_FAILED', 'REFUNDED_REVERSED'];
// A refused technical cancel that found no payment of our reference: nothing was there to charge.
const NOTHING_TO_CANCEL = /not found|unknown (payment|reference)|original pspreference required/i;

/**
 * Every notification an Adyen account received, kept once per pspReference, eventCode and success (Adyen's
 * identity of an item: a redelivery inserts nothing). Checkout cannot be asked about a payment or a
 * modification, so this is what status sync reads.
 */
export class AdyenNotificationRepository {
  constructor(private readonly sql: Sql) {}

  /** Keeps one item; true when it was new. */
  async record(accountId: string, item: AdyenNotificationRecord): Promise<boolean> {
    const rows = await this.sql.query(
      `insert into adyen_notifications (gateway_account_id, psp_reference, event_code, success, original_reference, merchant_reference,
         amount_minor, currency, reason, event_date)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict do nothing returning psp_reference`,
      [
        accountId,
        item.pspReference,
        item.eventCode,
        item.success,
        item.originalReference,
        item.merchantReference,
        item.amountMinor,
        item.currency,
        item.reason?.slice(0, 500) ?? null,
        item.eventDate,
      ],
    );
    return rows.length > 0;
  }

  /**
   * What the notifications say of our payment's authorization: AUTHORISATION decides it, unless a
   * cancel undid it. Without an AUTHORISATION, a technical cancel decides only when it is conclusive:
   * carried out (nothing charged is left), or refused because Adyen has no payment of that reference.
   * Refused for another reason (the payment is captured, say), the payment exists in a state only its
   * AUTHORISATION will tell: still undefined, so the lookups go on and ops see the payment held.
   */
  async authorizationOf(accountId: string, lookup: AuthorizationLookup): Promise<AuthorizationStatus | undefined> {
    const rows = await this.sql.query<NotificationRow>(
      `select event_code, success, psp_reference, original_reference, merchant_reference, amount_minor, reason from adyen_notifications
       where gateway_account_id = ? and (merchant_reference = ? or merchant_reference like ?)`,
      [accountId, lookup.paymentId, `${lookup.paymentId}:%`],
    );
    const authorised = rows.find((row) => row.event_code === 'AUTHORISATION' && row.success);
    const refused = rows.find((row) => row.event_code === 'AUTHORISATION' && !row.success);
    const technicalCancel = rows.find((row) => row.event_code === 'TECHNICAL_CANCEL');
    // Carried out, or nothing of that reference at Adyen: whatever the AUTHORISATION said, nothing stays charged.
    if (technicalCancel && (technicalCancel.success || NOTHING_TO_CANCEL.test(technicalCancel.reason ?? '')))
      return { outcome: 'canceled', reference: authorised?.psp_reference ?? technicalCancel.psp_reference, failureType: 'GatewayTimeout' };
    // Once we asked for a technical cancel, its outcome comes first: an AUTHORISATION alone may since have been undone.
    if (lookup.technicalCancelSent && !technicalCancel) return undefined;
    const canceled = rows.find(
      (row) => CANCEL_CODES.includes(row.event_code) && row.success && authorised && row.original_reference === authorised.psp_reference,
    );
    if (authorised && canceled) return { outcome: 'canceled', reference: authorised.psp_reference, failureType: 'GatewayTimeout' };
    if (authorised) {
      return lookup.capture
        ? { outcome: 'captured', reference: authorised.psp_reference, capturedMinor: Number(authorised.amount_minor ?? lookup.amountMinor) }
        : { outcome: 'authorized', reference: authorised.psp_reference, capturedMinor: 0 };
    }
    if (refused) {
      const reason = await this.reasonOf(accountId, refused.psp_reference, 'AUTHORISATION');
      return { outcome: 'declined', reference: refused.psp_reference, failureType: refusalFailureType({ refusalReason: reason }) };
    }
    return undefined;
  }

  /** A capture's or cancel's outcome by its own pspReference: the first word Adyen sent on it. */
  async modificationOf(accountId: string, pspReference: string): Promise<ModificationStatus> {
    const rows = await this.sql.query<NotificationRow & { received_at: Date }>(
      `select event_code, success, psp_reference, original_reference, merchant_reference, amount_minor, received_at
       from adyen_notifications where gateway_account_id = ? and psp_reference = ? order by received_at`,
      [accountId, pspReference],
    );
    const first = rows.find((row) => CAPTURE_CODES.includes(row.event_code) || CANCEL_CODES.includes(row.event_code));
    if (!first) return 'pending';
    return first.event_code !== 'CAPTURE_FAILED' && first.success ? 'succeeded' : 'failed';
  }

  /** A refund's outcome by its own pspReference: a REFUND_FAILED or REFUNDED_REVERSED overrides a successful REFUND. */
  async refundOf(accountId: string, pspReference: string): Promise<GatewayRefundStatus> {
    const rows = await this.sql.query<NotificationRow>(
      `select event_code, success, psp_reference, original_reference, merchant_reference, amount_minor
       from adyen_notifications where gateway_account_id = ? and psp_reference = ?`,
      [accountId, pspReference],
    );
    const refund = rows.filter((row) => REFUND_CODES.includes(row.event_code));
    if (refund.some((row) => row.event_code !== 'REFUND' || !row.success)) return { reference: pspReference, status: 'failed' };
    if (refund.length > 0) return { reference: pspReference, status: 'succeeded' };
    return { reference: pspReference, status: 'pending' };
  }

  private async reasonOf(accountId: string, pspReference: string, eventCode: string): Promise<string | undefined> {
    const [row] = await this.sql.query<{ reason: string | null }>(
      `select reason from adyen_notifications where gateway_account_id = ? and psp_reference = ? and event_code = ?`,
      [accountId, pspReference, eventCode],
    );
    return row?.reason ?? undefined;
  }
}
