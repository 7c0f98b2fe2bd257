import { randomBase62 } from '../../shared/ids';
import type { FakeCard } from './stripe-fake-cards';

/**
 * The Stripe objects the fake keeps and answers with, in Stripe's own shapes (the fields our
 * adapter and a careful reader of Stripe's API reference would look at; the rest are left out),
 * and Stripe's error bodies.
 */

export type PaymentIntentStatus =
  'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'requires_capture' | 'canceled' | 'succeeded';

export interface StripeErrorBody {
  type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';
  message: string;
  code?: string;
  decline_code?: string;
  advice_code?: string;
  param?: string;
  doc_url?: string;
  charge?: string;
  payment_method?: FakePaymentMethod;
  payment_intent?: FakePaymentIntent;
}

export interface FakePaymentMethod {
  id: string;
  object: 'payment_method';
  type: 'card';
  allow_redisplay: 'unspecified';
  billing_details: { address: null; email: null; name: null; phone: null };
  card: {
    brand: string;
    last4: string;
    exp_month: number;
    exp_year: number;
    funding: string;
    country: 'US';
    fingerprint: string;
    checks: { address_line1_check: null; address_postal_code_check: null; cvc_check: 'unchecked' | null };
  };
  created: number;
  customer: null;
  livemode: boolean;
  metadata: Record<string, string>;
}

export interface FakePaymentIntent {
  id: string;
  object: 'payment_intent';
  allowed_payment_method_types: string[] | null;
  amount: number;
  amount_capturable: number;
  amount_received: number;
  automatic_payment_methods: { enabled: boolean; allow_redirects?: string } | null;
  canceled_at: number | null;
  cancellation_reason: string | null;
  capture_method: string;
  client_secret: string;
  confirmation_method: 'automatic';
  created: number;
  currency: string;
  customer: null;
  description: string | null;
  excluded_payment_method_types: string[] | null;
  last_payment_error: StripeErrorBody | null;
  latest_charge: string | null;
  livemode: boolean;
  metadata: Record<string, string>;
  next_action: NextActionObject | null;
  payment_method: string | null;
  payment_method_types: string[];
  status: PaymentIntentStatus;
}

export type NextActionObject =
  | { type: 'redirect_to_url'; redirect_to_url: { url: string; return_url: string } }
  | { type: 'use_stripe_sdk'; use_stripe_sdk: { type: 'three_d_secure_redirect'; stripe_js: string; source: string } };

export interface ChargeOutcome {
  network_status: 'approved_by_network' | 'declined_by_network' | 'not_sent_to_network';
  reason: string | null;
  risk_level: string;
  seller_message: string;
  type: 'authorized' | 'issuer_declined' | 'blocked';
}

export interface FakeCharge {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  balance_transaction: string | null;
  captured: boolean;
  created: number;
  currency: string;
  description: string | null;
  disputed: boolean;
  failure_code: string | null;
  failure_message: string | null;
  livemode: boolean;
  metadata: Record<string, string>;
  outcome: ChargeOutcome;
  paid: boolean;
  payment_intent: string;
  payment_method: string;
  payment_method_details: { type: 'card'; card: { brand: string; last4: string; exp_month: number; exp_year: number; funding: string } };
  refunded: boolean;
  status: 'succeeded' | 'pending' | 'failed';
}

export interface FakeRefund {
  id: string;
  object: 'refund';
  amount: number;
  balance_transaction: string | null;
  charge: string;
  created: number;
  currency: string;
  failure_reason?: string;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string | null;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled';
}

export interface FakeDispute {
  id: string;
  object: 'dispute';
  amount: number;
  balance_transactions: unknown[];
  charge: string;
  created: number;
  currency: string;
  evidence_details: { due_by: number; has_evidence: boolean; past_due: boolean; submission_count: number };
  is_charge_refundable: boolean;
  livemode: boolean;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string;
  status: 'warning_needs_response' | 'needs_response' | 'under_review' | 'won' | 'lost';
}

/** The default external account payouts go to: a US test bank account. */
/** The balance transaction of a payout's failure (or cancel): when, and how much, came back to the balance. */
export interface FakePayoutFailureTransaction {
  id: string;
  object: 'balance_transaction';
  amount: number;
  currency: string;
  /** When the money came back: for a payout paid and then failed, after its arrival_date. */
  created: number;
  available_on: number;
  description: string;
  fee: number;
  net: number;
  source: string;
  status: 'available';
  type: 'payout_failure' | 'payout_cancel';
}

export interface FakeBankAccount {
  id: string;
  object: 'bank_account';
  account_holder_name: null;
  account_holder_type: null;
  bank_name: 'STRIPE TEST BANK';
  country: 'US';
  currency: string;
  default_for_currency: true;
  last4: string;
  routing_number: '110000000';
  status: 'new';
}

export interface FakePayout {
  id: string;
  object: 'payout';
  amount: number;
  arrival_date: number;
  automatic: false;
  balance_transaction: string;
  created: number;
  currency: string;
  description: string | null;
  destination: string;
  failure_balance_transaction: string | null;
  failure_code: string | null;
  failure_message: string | null;
  livemode: boolean;
  metadata: Record<string, string>;
  method: 'standard';
  original_payout: null;
  reconciliation_status: 'not_applicable';
  reversed_by: null;
  source_type: 'card';
  statement_descriptor: string | null;
  status: 'pending' | 'in_transit' | 'paid' | 'failed' | 'canceled';
  type: 'bank_account';
}

export interface FakeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: unknown; previous_attributes?: Record<string, unknown> };
  livemode: boolean;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

/** A Stripe-looking id: the object's prefix and 24 base62 characters. */
export const stripeId = (prefix: string) => `${prefix}_${randomBase62(24)}`;

export function paymentMethodObject(
  card: FakeCard,
  expMonth: number,
  expYear: number,
  created: number,
  livemode: boolean,
): FakePaymentMethod {
  return {
    id: stripeId('pm'),
    object: 'payment_method',
    type: 'card',
    allow_redisplay: 'unspecified',
    billing_details: { address: null, email: null, name: null, phone: null },
    card: {
      brand: card.brand,
      last4: card.number.slice(-4),
      exp_month: expMonth,
      exp_year: expYear,
      funding: card.funding,
      country: 'US',
      // Stripe's fingerprint is per card number, not per PaymentMethod; the fake's only needs to be stable.
      fingerprint: fingerprintOf(card.number),
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'unchecked' },
    },
    created,
    customer: null,
    livemode,
    metadata: {},
  };
}

function fingerprintOf(number: string): string {
  let hash = 5381;
  for (const char of number) hash = ((hash * 33) ^ char.charCodeAt(0)) >>> 0;
  return `fp${hash.toString(36)}`.padEnd(16, 'x');
}

export function approvedOutcome(riskLevel: string): ChargeOutcome {
  return {
    network_status: 'approved_by_network',
    reason: null,
    risk_level: riskLevel,
    seller_message: 'Payment complete.',
    type: 'authorized',
  };
}

export function declinedOutcome(reason: string, riskLevel: string, blocked: boolean): ChargeOutcome {
  return blocked
    ? {
        network_status: 'not_sent_to_network',
        reason: 'highest_risk_level',
        risk_level: riskLevel,
        seller_message: 'Stripe blocked this payment as too risky.',
        type: 'blocked',
      }
    : {
        network_status: 'declined_by_network',
        reason,
        risk_level: riskLevel,
        seller_message: 'The bank did not return any further details with this decline.',
        type: 'issuer_declined',
      };
}

export const docUrl = (code: string) => `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;

/** An answer the fake sends instead of an object; `saved` when Stripe's idempotency layer keeps it (the endpoint ran). */
export class FakeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly saved: boolean,
  ) {
    super(body.message);
  }
}

/** A request Stripe refuses while validating it: nothing happened, so nothing is saved under its idempotency key. */
export function invalidRequest(message: string, extra: Partial<StripeErrorBody> = {}, status = 400): FakeApiError {
  const body: StripeErrorBody = { type: 'invalid_request_error', message, ...extra };
  if (body.code) body.doc_url = docUrl(body.code);
  return new FakeApiError(status, body, false);
}

export const missingParam = (param: string) => invalidRequest(`Missing required param: ${param}.`, { code: 'parameter_missing', param });

export const unknownParam = (param: string) => invalidRequest(`Received unknown parameter: ${param}`, { code: 'parameter_unknown', param });

export const noSuch = (what: string, id: string, param: string) =>
  invalidRequest(`No such ${what}: '${id}'`, { code: 'resource_missing', param }, 404);

/** A refusal after the endpoint began (a state conflict): Stripe saves it under the idempotency key. */
export function stateError(message: string, code: string | undefined, extra: Partial<StripeErrorBody> = {}): FakeApiError {
  const body: StripeErrorBody = code
    ? { type: 'invalid_request_error', code, doc_url: docUrl(code), message }
    : { type: 'invalid_request_error', message };
  return new FakeApiError(400, { ...body, ...extra }, true);
}

export function apiErrorBody(): StripeErrorBody {
  return { type: 'api_error', message: 'An unknown error occurred' };
}

export function rateLimitBody(): StripeErrorBody {
  return {
    type: 'invalid_request_error',
    code: 'rate_limit',
    doc_url: docUrl('rate_limit'),
    message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
  };
}

/** Stripe's own way of writing an amount in messages: `$10.00` for dollars, `10.00 EUR` otherwise. */
export function formatAmount(amount: number, currency: string): string {
  const zeroDecimal = ZERO_DECIMAL.has(currency);
  const major = zeroDecimal ? String(amount) : (amount / 100).toFixed(2);
  return currency === 'usd' ? `$${major}` : `${major} ${currency.toUpperCase()}`;
}

export const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

/** Stripe's documented minimum charge amounts, in minor units, for the currencies our tests use. */
export const MINIMUM_CHARGE: Record<string, number> = {
  usd: 50,
  eur: 50,
  gbp: 30,
  cad: 50,
  aud: 50,
  chf: 50,
  jpy: 50,
  sek: 300,
  nok: 300,
  dkk: 250,
};

/** Stripe's largest amount for a charge (eight digits). */
export const MAXIMUM_CHARGE = 99_999_999;
