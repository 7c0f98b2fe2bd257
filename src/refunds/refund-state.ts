/** A refund's state as its workflow owns it. Pure: the workflow bundle imports this file. */

export type RefundStatus = 'pending' | 'succeeded' | 'failed';
export const REFUND_STATUSES: readonly RefundStatus[] = ['pending', 'succeeded', 'failed'];
export const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

export interface RefundWorkflowInput {
  refundId: string;
  merchantId: string;
  paymentId: string;
  amountMinor: number;
  currency: string;
  reason: RefundReason | null;
  metadata: Record<string, string>;
  gateway: string;
  /** The payment's gateway account, through which its refunds go too; absent for the built-in sandbox. */
  gatewayAccount?: string | null;
  /** The gateway's id of the charge being refunded. */
  paymentGatewayReference: string;
  createdAt: string;
}

export interface RefundState extends RefundWorkflowInput {
  /** `rejected`: the amount was no longer refundable when the refund's turn came; nothing was written. */
  status: RefundStatus | 'rejected';
  gatewayReference: string | null;
  failureCode: string | null;
  failureMessage: string | null;
}

/** The gateway's word on a refund it had accepted as pending, signalled by the inbound events receiver. */
export interface GatewayRefundEvent {
  eventId: string;
  reference: string;
  outcome: 'succeeded' | 'failed';
}

export function refundWorkflowId(refundId: string): string {
  return `refund-${refundId}`;
}
