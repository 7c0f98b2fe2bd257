/** Every event type a merchant can subscribe to. Pure: workflows may import it. */
export const EVENT_TYPES = [
  'payment.requires_capture',
  'payment.requires_review',
  // The customer must authenticate (3-D Secure): next_action says how.
  'payment.requires_action',
  // The gateway has not confirmed the outcome for a while; it is being looked up (hold_reason).
  'payment.held',
  'payment.succeeded',
  'payment.failed',
  'payment.canceled',
  'refund.succeeded',
  'refund.failed',
  'dispute.created',
  'dispute.updated',
  'dispute.closed',
  'reconciliation.completed',
  'reconciliation.discrepancies_found',
  'invoice.created',
  'invoice.paid',
  'invoice.payment_failed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  // A hosted payment page was paid (fulfil the order on this, not on the redirect), or expired unpaid.
  'checkout.session.completed',
  'checkout.session.expired',
  // A payout was made, sent to the bank (payout.updated), paid, failed (also when the bank returned it after paid: returned is true), or canceled.
  'payout.created',
  'payout.updated',
  'payout.paid',
  'payout.failed',
  'payout.canceled',
  // A report run's file is ready to download (result), or could not be built (error).
  'reporting.report_run.succeeded',
  'reporting.report_run.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * When to try again after each failed attempt: about three days in all, as the large processors
 * do. Attempt 1 is immediate; the workflow adds ±10 % jitter so endpoints that failed together do
 * not all come back at once.
 */
export const RETRY_DELAYS_MS = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3600_000,
  5 * 3600_000,
  10 * 3600_000,
  14 * 3600_000,
  20 * 3600_000,
  24 * 3600_000,
];

export function webhookDeliveryWorkflowId(eventId: string, endpointId: string, redelivery?: string): string {
  return `webhook-${eventId}-${endpointId}${redelivery ? `-${redelivery}` : ''}`;
}
