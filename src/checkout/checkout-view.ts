import { minorToMajorNumber } from '../shared/money';
import { apiTimestamp, apiTimestampOrNull } from '../shared/timestamps';
import type { CheckoutSessionRecord } from './checkout-record';

export interface CheckoutSessionJson {
  id: string;
  object: 'checkout.session';
  url: string | null;
  status: CheckoutSessionRecord['status'];
  payment_status: CheckoutSessionRecord['paymentStatus'];
  payment: string | null;
  amount: number;
  currency: string;
  description: string | null;
  customer: string | null;
  customer_email: string | null;
  success_url: string;
  cancel_url: string;
  capture_method: 'automatic' | 'manual';
  metadata: Record<string, string>;
  livemode: boolean;
  attempts: number;
  expires_at: string;
  completed_at: string | null;
  created_at: string;
}

/** The page's address for a session. */
export function checkoutPageUrl(publicUrl: string, sessionId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/pay/${sessionId}`;
}

export function renderCheckoutSession(session: CheckoutSessionRecord, publicUrl: string): CheckoutSessionJson {
  return {
    id: session.id,
    object: 'checkout.session',
    url: session.status === 'open' ? checkoutPageUrl(publicUrl, session.id) : null,
    status: session.status,
    payment_status: session.paymentStatus,
    payment: session.paymentId,
    amount: minorToMajorNumber(session.amountMinor, session.currency),
    currency: session.currency,
    description: session.description,
    customer: session.customerId,
    customer_email: session.customerEmail,
    success_url: session.successUrl,
    cancel_url: session.cancelUrl,
    capture_method: session.captureMethod,
    metadata: session.metadata,
    livemode: session.livemode,
    attempts: session.attempts,
    expires_at: apiTimestamp(session.expiresAt),
    completed_at: apiTimestampOrNull(session.completedAt),
    created_at: apiTimestamp(session.createdAt),
  };
}
