import type { FakeCard } from './stripe-fake-cards';
import type { EventDestination } from './stripe-fake-events';
import {
  stripeId,
  type FakeCharge,
  type FakeDispute,
  type FakePaymentIntent,
  type FakePaymentMethod,
  type FakeRefund,
} from './stripe-fake-objects';

export interface FakeAccountInput {
  secretKey: string;
  /** More keys of the same account (a restricted `rk_` key beside the secret key). */
  additionalKeys?: string[];
  webhookSecret?: string;
  webhookUrl?: string;
  /** Event types the webhook endpoint subscribed to; all when absent. */
  enabledEvents?: string[];
  /**
   * Whether the account may send raw card numbers (Stripe grants this per account, also in test
   * mode); when false, card numbers are refused as Stripe refuses them. Default true.
   */
  rawCardData?: boolean;
}

/** What a test needs to know of an account it added. */
export interface FakeAccountHandle {
  id: string;
  livemode: boolean;
}

export interface StoredPaymentMethod {
  object: FakePaymentMethod;
  card: FakeCard;
  /** The PaymentIntent that used it: Stripe lets a PaymentMethod not attached to a Customer be used once. */
  usedBy: string | null;
}

export interface StoredPaymentIntent {
  object: FakePaymentIntent;
  createdAtMs: number;
  /** The card of the PaymentMethod being confirmed, for completing customer action. */
  card: FakeCard | null;
}

export interface StoredCharge {
  object: FakeCharge;
  card: FakeCard;
  /** The uncaptured part given back to the card (a partial capture's rest, a canceled authorization). */
  released: number;
}

/** A first answer kept under its idempotency key, replayed byte for byte. */
export interface SavedAnswer {
  method: string;
  path: string;
  params: string;
  status: number;
  body: string;
  requestId: string;
  savedAt: number;
}

/** One Stripe account of the fake: its keys, its objects and its idempotency keys, none shared with other accounts. */
export class FakeAccount implements EventDestination, FakeAccountHandle {
  readonly id = stripeId('acct').slice(0, 21);
  readonly livemode: boolean;
  readonly keys: Set<string>;
  readonly revokedKeys = new Set<string>();
  webhookUrl?: string;
  webhookSecret?: string;
  enabledEvents?: string[];
  rawCardData: boolean;
  readonly paymentMethods = new Map<string, StoredPaymentMethod>();
  readonly paymentIntents = new Map<string, StoredPaymentIntent>();
  readonly charges = new Map<string, StoredCharge>();
  readonly refunds = new Map<string, FakeRefund>();
  readonly disputes = new Map<string, FakeDispute>();
  readonly idempotency = new Map<string, SavedAnswer | 'in_progress'>();

  constructor(input: FakeAccountInput) {
    this.keys = new Set([input.secretKey, ...(input.additionalKeys ?? [])]);
    this.livemode = /^(sk|rk)_live_/.test(input.secretKey);
    this.webhookUrl = input.webhookUrl;
    this.webhookSecret = input.webhookSecret;
    this.enabledEvents = input.enabledEvents;
    this.rawCardData = input.rawCardData ?? true;
  }

  chargeOf(paymentIntent: FakePaymentIntent): StoredCharge | undefined {
    return paymentIntent.latest_charge ? this.charges.get(paymentIntent.latest_charge) : undefined;
  }

  /** Refunds that took money back (or are about to): failed and canceled ones returned it. */
  refundedOf(chargeId: string): number {
    let total = 0;
    for (const refund of this.refunds.values())
      if (refund.charge === chargeId && refund.status !== 'failed' && refund.status !== 'canceled') total += refund.amount;
    return total;
  }

  /** A dispute not won: Stripe refuses refunds of a charge disputed this way. */
  disputeBlockingRefundsOf(chargeId: string): FakeDispute | undefined {
    return [...this.disputes.values()].find((dispute) => dispute.charge === chargeId && dispute.status !== 'won');
  }

  /** Stripe's `amount_refunded` counts released authorizations as well as refunds. */
  syncRefunded(stored: StoredCharge): void {
    const charge = stored.object;
    charge.amount_refunded = stored.released + this.refundedOf(charge.id);
    charge.refunded = charge.amount_refunded >= charge.amount;
  }

  /** Any object of the account by id, for `expand[]`. */
  objectById(id: string): unknown {
    return (
      this.charges.get(id)?.object ??
      this.paymentMethods.get(id)?.object ??
      this.paymentIntents.get(id)?.object ??
      this.refunds.get(id) ??
      this.disputes.get(id)
    );
  }
}

export interface RequestRef {
  id: string | null;
  idempotencyKey: string | null;
}

/** What the object logic needs from the fake around it: a clock, events, timers, settings. */
export interface FakeContext {
  now(): number;
  emit(account: FakeAccount, type: string, object: unknown, request?: RequestRef, previousAttributes?: Record<string, unknown>): void;
  /** Runs `work` after `ms`, unless the fake stops first. */
  later(ms: number, work: () => void): void;
  /** The page a redirect_to_url next action sends the customer to. */
  authenticationUrl(paymentIntentId: string): string;
  disputeDelayMs: number;
  refundSettleDelayMs: number;
  enforceMinimumAmounts: boolean;
}

export const seconds = (ms: number) => Math.floor(ms / 1000);
