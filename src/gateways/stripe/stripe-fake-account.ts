import type { FakeCard } from './stripe-fake-cards';
import type { EventDestination } from './stripe-fake-events';
import {
  stripeId,
  type FakeBankAccount,
  type FakePayoutFailureTransaction,
  type FakeCharge,
  type FakeDispute,
  type FakePaymentIntent,
  type FakePaymentMethod,
  type FakePayout,
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
  /**
   * The account number of the default external account payouts go to (default `000123456789`,
   * paid); Stripe's test numbers decide the payout's outcome (see stripe-fake-payouts.ts).
   */
  payoutAccountNumber?: string;
  /** Funds already available, per lower-case currency in minor units, as if charged with Stripe's 4000000000000077 card. */
  balance?: Record<string, number>;
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

export interface StoredPayout {
  object: FakePayout;
  createdAtMs: number;
  /** Decided by the external account's number when the payout was created. */
  failureCode: string | null;
  /** The payout is paid first, then fails with `failureCode` (a bank returning it). */
  failsAfterPaid: boolean;
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
  readonly payouts = new Map<string, StoredPayout>();
  readonly fundedBalance: ReadonlyMap<string, number>;
  payoutAccountNumber = DEFAULT_PAYOUT_ACCOUNT_NUMBER;
  externalAccount!: FakeBankAccount;
  /** Every external account the account had, so payouts to a replaced one still expand. */
  readonly bankAccounts = new Map<string, FakeBankAccount>();
  /** The balance transactions that gave a failed or canceled payout's money back, for `expand[]=failure_balance_transaction`. */
  readonly payoutFailureTransactions = new Map<string, FakePayoutFailureTransaction>();

  constructor(input: FakeAccountInput) {
    this.keys = new Set([input.secretKey, ...(input.additionalKeys ?? [])]);
    this.livemode = /^(sk|rk)_live_/.test(input.secretKey);
    this.webhookUrl = input.webhookUrl;
    this.webhookSecret = input.webhookSecret;
    this.enabledEvents = input.enabledEvents;
    this.rawCardData = input.rawCardData ?? true;
    this.fundedBalance = new Map(Object.entries(input.balance ?? {}).map(([currency, amount]) => [currency.toLowerCase(), amount]));
    this.usePayoutAccountNumber(input.payoutAccountNumber ?? DEFAULT_PAYOUT_ACCOUNT_NUMBER);
  }

  /** A new default external account, as replacing the bank account in the Dashboard makes one (with a new id). */
  usePayoutAccountNumber(accountNumber: string): void {
    this.payoutAccountNumber = accountNumber;
    this.externalAccount = {
      id: stripeId('ba'),
      object: 'bank_account',
      account_holder_name: null,
      account_holder_type: null,
      bank_name: 'STRIPE TEST BANK',
      country: 'US',
      currency: 'usd',
      default_for_currency: true,
      last4: accountNumber.slice(-4),
      routing_number: '110000000',
      status: 'new',
    };
    this.bankAccounts.set(this.externalAccount.id, this.externalAccount);
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
      this.disputes.get(id) ??
      this.payouts.get(id)?.object ??
      this.bankAccounts.get(id) ??
      this.payoutFailureTransactions.get(id)
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
  /** When payouts change status, after their creation; read lazily against `now()`, never by timers. */
  payoutTiming: PayoutTiming;
}

export interface PayoutTiming {
  /** Pending until then, then in transit. */
  inTransitAfterMs: number;
  /** The arrival: paid, or failed for a failing test account number. */
  transitMs: number;
  /** After the arrival, when a paid payout to the fake's paid-then-failed number fails. */
  returnAfterMs: number;
}

/** Stripe's test account number for a payout that succeeds. */
export const DEFAULT_PAYOUT_ACCOUNT_NUMBER = '000123456789';

export const seconds = (ms: number) => Math.floor(ms / 1000);
