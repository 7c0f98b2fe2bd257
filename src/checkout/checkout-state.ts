/**
 * A checkout session as its workflow holds it. Pure: the workflow imports it.
 *
 * `status` is the session's life (open until it completes or expires); `paymentStatus` is what the customer's
 * latest attempt came to. A declined card leaves the session open for another card; a session completes at most once.
 */
export type CheckoutStatus = 'open' | 'complete' | 'expired';
export type CheckoutPaymentStatus = 'unpaid' | 'paid' | 'requires_action' | 'failed';

export const CHECKOUT_STATUSES: readonly CheckoutStatus[] = ['open', 'complete', 'expired'];
export const CHECKOUT_PAYMENT_STATUSES: readonly CheckoutPaymentStatus[] = ['unpaid', 'paid', 'requires_action', 'failed'];

/** Card attempts one session takes before it refuses more (card testing through one page). */
export const MAX_CHECKOUT_ATTEMPTS = 5;

export interface CheckoutWorkflowInput {
  sessionId: string;
  merchantId: string;
  amountMinor: number;
  currency: string;
  description: string | null;
  customerId: string | null;
  customerEmail: string | null;
  /** Manual capture: the session is paid once the card is authorized, and the merchant captures later. */
  captureMethod: 'automatic' | 'manual';
  metadata: Record<string, string>;
  expiresAt: string;
  createdAt: string;
  /** Where the gateway sends the customer back after 3-D Secure: the session's own return page. */
  returnUrl: string;
  /** How long a customer has to complete 3-D Secure; the payment is canceled at the gateway after it. */
  actionTimeoutMs: number;
}

/** What became of the customer's latest payment attempt, as the checkout keeps it. */
export interface CheckoutPaymentView {
  paymentId: string;
  /** The payment's own status (processing, requires_action, requires_capture, succeeded, failed, ...). */
  status: string;
  gatewayReference: string | null;
  /** Where to send the customer to authenticate, while `requires_action`. */
  actionUrl: string | null;
  failureCode: string | null;
  failureMessage: string | null;
}

export interface CheckoutState extends CheckoutWorkflowInput {
  status: CheckoutStatus;
  paymentStatus: CheckoutPaymentStatus;
  /** The latest attempt's payment (the paid one once complete). */
  payment: CheckoutPaymentView | null;
  attempts: number;
  completedAt: string | null;
  expiredAt: string | null;
  /** Bumped on every change: the stored row is only ever replaced by a newer one. */
  version: number;
}

/** A card the customer submitted on the page: the vault token only, never card data. */
export interface CheckoutSubmission {
  source: string;
}

export function checkoutWorkflowId(sessionId: string): string {
  return `checkout-${sessionId}`;
}

export function initialCheckoutState(input: CheckoutWorkflowInput): CheckoutState {
  return {
    ...input,
    status: 'open',
    paymentStatus: 'unpaid',
    payment: null,
    attempts: 0,
    completedAt: null,
    expiredAt: null,
    version: 1,
  };
}

/** The checkout's reading of a payment status: paid (captured, or authorized for manual capture), failed, or still on its way. */
export function checkoutPaymentStatusOf(paymentStatus: string): CheckoutPaymentStatus | 'pending' {
  // Refunded (by the merchant, later) was paid first.
  if (paymentStatus === 'succeeded' || paymentStatus === 'requires_capture' || paymentStatus === 'refunded') return 'paid';
  if (paymentStatus === 'failed' || paymentStatus === 'canceled') return 'failed';
  if (paymentStatus === 'requires_action') return 'requires_action';
  return 'pending';
}
