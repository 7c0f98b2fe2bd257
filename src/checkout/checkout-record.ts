import type { CheckoutPaymentStatus, CheckoutPaymentView, CheckoutStatus } from './checkout-state';

/** A checkout session as stored in `checkout_sessions`. */
export interface CheckoutSessionRecord {
  id: string;
  merchantId: string;
  livemode: boolean;
  amountMinor: number;
  currency: string;
  description: string | null;
  customerId: string | null;
  customerEmail: string | null;
  successUrl: string;
  cancelUrl: string;
  captureMethod: 'automatic' | 'manual';
  metadata: Record<string, string>;
  status: CheckoutStatus;
  paymentStatus: CheckoutPaymentStatus;
  paymentId: string | null;
  payment: CheckoutPaymentView | null;
  attempts: number;
  /** The page's form binding secret: never shown, never logged. */
  formSecret: string;
  expiresAt: Date;
  completedAt: Date | null;
  expiredAt: Date | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A merchant's sealed checkout signing secret. */
export interface CheckoutSigningSecretRecord {
  merchantId: string;
  keyId: string;
  ciphertext: Buffer;
  last4: string;
  createdAt: Date;
}
