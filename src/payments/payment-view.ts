import { minorToMajorNumber } from '../shared/money';
import type { PaymentRecord } from './payment-record';
import type { PaymentState } from './payment-state';
import { apiTimestampOrNull } from '../shared/timestamps';
import { renderRoutingDecision, type RoutingDecisionJson } from '../routing/routing-view';

/** A payment as the API shows it (the API contract's shape, with Stripe-like detail fields). */
export interface PaymentJson {
  id: string;
  object: 'payment';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  amount_refunded: number;
  currency: string;
  status: PaymentRecord['status'] | 'refunded';
  capture_method: PaymentRecord['captureMethod'];
  source: string;
  description: string | null;
  metadata: Record<string, string>;
  fee: number;
  failure_code: string | null;
  failure_message: string | null;
  cancellation_reason: string | null;
  livemode: boolean;
  /** Which gateway, and which of the merchant's accounts at it, the payment went through (null: the built-in sandbox). */
  gateway: string;
  gateway_account: string | null;
  /** The gateway's own id of the payment (a Stripe PaymentIntent's pi_...). */
  gateway_reference: string | null;
  /** What the customer must do while the status is `requires_action`. */
  next_action: { type: 'redirect_to_url' | 'use_gateway_sdk'; redirect_to_url: { url: string } | null } | null;
  /** Why the payment is `held`: `gateway_outcome_unknown` while the gateway's answer is being looked up. */
  hold_reason: string | null;
  /** Each authorization attempt when the payment could fail over between the merchant's accounts; empty otherwise. */
  attempts: {
    gateway: string;
    gateway_account: string | null;
    outcome: 'approved' | 'requires_action' | 'declined';
    failure_code: string | null;
    failed_over: boolean;
    started_at: string;
    finished_at: string;
  }[];
  /** Why the payment went to its account; null when it named the account, took the built-in sandbox, or predates routing rules. */
  routing: RoutingDecisionJson | null;
  /** The customer's receipt page; null until the payment has succeeded. */
  receipt_url: string | null;
  created_at: string;
  captured_at: string | null;
  canceled_at: string | null;
  authorization_expires_at: string | null;
}

const iso = apiTimestampOrNull;

/** The stored row for a workflow state, as the workflow's activities write it. */
export function paymentRecordFromState(state: PaymentState, updatedAt: Date): PaymentRecord {
  return {
    id: state.paymentId,
    merchantId: state.merchantId,
    amountMinor: state.amountMinor,
    currency: state.currency,
    status: state.status,
    captureMethod: state.captureMethod,
    source: state.source,
    description: state.description,
    metadata: state.metadata,
    amountCapturableMinor: state.amountCapturableMinor,
    amountCapturedMinor: state.amountCapturedMinor,
    amountRefundedMinor: 0,
    feeMinor: state.feeMinor,
    gateway: state.gateway,
    gatewayReference: state.gatewayReference,
    failureCode: state.failureCode,
    failureMessage: state.failureMessage,
    cancellationReason: state.cancellationReason,
    createdAt: new Date(state.createdAt),
    updatedAt,
    authorizationExpiresAt: state.authorizationExpiresAt ? new Date(state.authorizationExpiresAt) : null,
    capturedAt: state.capturedAt ? new Date(state.capturedAt) : null,
    canceledAt: state.canceledAt ? new Date(state.canceledAt) : null,
    gatewayAccountId: state.gatewayAccount ?? null,
    nextAction: state.nextAction ?? null,
    holdReason: state.holdReason ?? null,
    attempts: state.attempts ?? null,
    routing: state.routing ?? null,
  };
}

/**
 * `refunded` is derived, not stored: the payment workflow owns the stored status and has finished
 * by the time refunds happen, so no two writers ever race on it.
 */
function displayStatus(payment: PaymentRecord): PaymentJson['status'] {
  const fullyRefunded = payment.amountCapturedMinor > 0 && payment.amountRefundedMinor >= payment.amountCapturedMinor;
  return payment.status === 'succeeded' && fullyRefunded ? 'refunded' : payment.status;
}

/** Renders a stored payment for the API and for event payloads; `receiptUrl` is its receipt's link once it has one. */
export function renderPayment(payment: PaymentRecord, livemode = false, receiptUrl: string | null = null): PaymentJson {
  const major = (minor: number) => minorToMajorNumber(minor, payment.currency);
  return {
    id: payment.id,
    object: 'payment',
    amount: major(payment.amountMinor),
    amount_capturable: major(payment.amountCapturableMinor),
    amount_received: major(payment.amountCapturedMinor),
    amount_refunded: major(payment.amountRefundedMinor),
    currency: payment.currency,
    status: displayStatus(payment),
    capture_method: payment.captureMethod,
    source: payment.source,
    description: payment.description ?? null,
    metadata: payment.metadata ?? {},
    fee: major(payment.feeMinor),
    failure_code: payment.failureCode ?? null,
    failure_message: payment.failureMessage ?? null,
    cancellation_reason: payment.cancellationReason ?? null,
    livemode,
    gateway: payment.gateway,
    gateway_account: payment.gatewayAccountId ?? null,
    gateway_reference: payment.gatewayReference ?? null,
    next_action: payment.nextAction
      ? { type: payment.nextAction.type, redirect_to_url: payment.nextAction.url ? { url: payment.nextAction.url } : null }
      : null,
    hold_reason: payment.holdReason ?? null,
    attempts: (payment.attempts ?? []).map((attempt) => ({
      gateway: attempt.gateway,
      gateway_account: attempt.gatewayAccount,
      outcome: attempt.outcome,
      failure_code: attempt.failureCode,
      failed_over: attempt.failedOver,
      started_at: attempt.startedAt,
      finished_at: attempt.finishedAt,
    })),
    routing: payment.routing ? renderRoutingDecision(payment.routing) : null,
    receipt_url: payment.status === 'succeeded' ? receiptUrl : null,
    created_at: iso(payment.createdAt) as string,
    captured_at: iso(payment.capturedAt),
    canceled_at: iso(payment.canceledAt),
    authorization_expires_at: iso(payment.authorizationExpiresAt),
  };
}
