/**
 * The payment's state as the workflow owns it. Pure types and functions, with no I/O: the
 * workflow bundle imports this file.
 */

import type { RoutingDecision } from '../routing/routing-rules';

export type PaymentStatus =
  'processing' | 'requires_review' | 'requires_action' | 'held' | 'requires_capture' | 'succeeded' | 'failed' | 'canceled';
export const PAYMENT_STATUSES: readonly PaymentStatus[] = [
  'processing',
  'requires_review',
  'requires_action',
  'held',
  'requires_capture',
  'succeeded',
  'failed',
  'canceled',
];
export const FINAL_PAYMENT_STATUSES: readonly PaymentStatus[] = ['succeeded', 'failed', 'canceled'];

export type CaptureMethod = 'automatic' | 'manual';
export type CancellationReason = 'requested_by_customer' | 'duplicate' | 'fraudulent' | 'abandoned' | 'expired';
export const MERCHANT_CANCELLATION_REASONS = ['requested_by_customer', 'duplicate', 'fraudulent', 'abandoned'] as const;

export interface FeeSchedule {
  percentBps: number;
  fixedMinor: number;
}

/** What the merchant asked for, fixed at creation. Card data never travels here: only the token. */
export interface PaymentTerms {
  paymentId: string;
  merchantId: string;
  amountMinor: number;
  currency: string;
  source: string;
  description: string | null;
  metadata: Record<string, string>;
  captureMethod: CaptureMethod;
  gateway: string;
  /** The merchant's gateway account the payment goes through; absent for the built-in sandbox (and inputs recorded before accounts). */
  gatewayAccount?: string | null;
  /** Where the customer comes back after authenticating on the gateway's page (3-D Secure). */
  returnUrl?: string | null;
  /**
   * Why the payment goes to its account (rule version, eligible accounts, split draw), decided once by the API:
   * a replay reads it from the input and never routes again. Absent for a named account, the built-in sandbox and older payments.
   */
  routing?: RoutingDecision;
  createdAt: string;
}

/** Everything the workflow needs: the terms plus the policies in force when the payment was created. */
export interface PaymentWorkflowInput extends PaymentTerms {
  /**
   * Runs the fraud rules and the recording of each state as local activities. Set for every payment
   * started now; absent in payments begun before, which replay with those steps as ordinary
   * activities. An input flag rather than `patched()`, whose marker also writes the
   * TemporalChangeVersion search attribute: a visibility update on every payment.
   */
  localDatabaseSteps?: boolean;
  authorizationTtlMs: number;
  fees: FeeSchedule;
  /** How long a payment held for review waits for a decision; optional, so recorded inputs without it still replay. */
  reviewTimeoutMs?: number;
  /** How long the customer has to authenticate (3-D Secure) before the payment is canceled at the gateway and fails. */
  actionTimeoutMs?: number;
  /**
   * Gateways that confirm captures and cancels only by notification (Adyen): how long the payment waits for it
   * before it is held for ops (the wait goes on). Absent: CONFIRMATION_HOLD_AFTER_MS.
   */
  confirmationTimeoutMs?: number;
  /**
   * Gateways that cannot be asked about a lost authorization (Adyen): how long the outcome stays unknown before a
   * technical cancel by our payment id cleans it up. Absent: TECHNICAL_CANCEL_AFTER_MS.
   */
  technicalCancelAfterMs?: number;
  /**
   * Where the payment fails over to, decided at creation (so a later change of the merchant's accounts never alters a
   * running payment, and a replay reproduces it): the next eligible accounts in order, tried after a soft decline or
   * an outage, up to `maxAttempts` attempts in all. Absent: one account only.
   */
  failover?: { accounts: { gateway: string; gatewayAccount: string }[]; maxAttempts: number };
}

/** One authorization attempt at one gateway account: the payment's `attempts[]`. */
export interface PaymentAttempt {
  gateway: string;
  gatewayAccount: string | null;
  outcome: 'approved' | 'requires_action' | 'declined';
  failureCode: string | null;
  /** A soft decline or an outage the payment failed over from. */
  failedOver: boolean;
  startedAt: string;
  finishedAt: string;
}

/** Attempts per payment at most, the first included. */
export const MAX_AUTHORIZATION_ATTEMPTS = 3;

/** The customer-action timeout of an input that carries none. */
export const DEFAULT_ACTION_TIMEOUT_MS = 3600 * 1000;
/** How long an unknown gateway outcome is looked up before the payment is shown as `held` for ops (the lookups go on). */
export const UNKNOWN_OUTCOME_HOLD_AFTER_MS = 10 * 60 * 1000;
/** How long a capture or cancel a gateway only `received` waits for its notification before the payment is held for ops. */
export const CONFIRMATION_HOLD_AFTER_MS = 60 * 60 * 1000;
/** How long a lost authorization is looked up at a gateway that cannot be asked (Adyen) before it is technically canceled. */
export const TECHNICAL_CANCEL_AFTER_MS = 2 * 60 * 1000;
/**
 * Why a payment is held: the gateway never confirmed an authorization (it is being looked up), never
 * confirmed a capture or cancel it had received (the wait goes on in both cases).
 */
export type HoldReason = 'gateway_outcome_unknown' | 'gateway_confirmation_missing';

/** What the customer must do (authenticate) before the gateway decides: shown on the payment as `next_action`. */
export interface PaymentNextAction {
  type: 'redirect_to_url' | 'use_gateway_sdk';
  url: string | null;
}

/**
 * A gateway's asynchronous word about a payment, signalled by the inbound events receiver: the customer
 * authenticated (authorized or captured), or did not (failed). The event id makes a redelivery harmless.
 */
/** A gateway's notification that a capture or cancel it had only `received` (Adyen) was carried out, or not. */
export interface GatewayModificationEvent {
  eventId: string;
  /** The modification's own gateway reference (Adyen's modification pspReference). */
  reference: string;
  outcome: 'succeeded' | 'failed';
  /** The gateway's words when it failed. */
  reason?: string;
}

export interface GatewayPaymentEvent {
  eventId: string;
  outcome: 'authorized' | 'captured' | 'failed' | 'canceled';
  reference: string;
  capturedMinor?: number;
  /** A failure's type from the failure map (AuthenticationFailed, CardDeclined ...). */
  failureType?: string;
}

/** The review timeout of an input that carries none (PAYMENT_REVIEW_TIMEOUT's default). */
export const DEFAULT_REVIEW_TIMEOUT_MS = 24 * 3600 * 1000;

export type ReviewDecision = 'approve' | 'decline';
export const REVIEW_DECISIONS = ['approve', 'decline'] as const;

/** Ops' decision on a payment held for review: the `review` update's argument. */
export interface ReviewRequest {
  decision: ReviewDecision;
  /** Who decided, for the workflow's state and history (the API sends `admin_api`). */
  reviewer?: string;
  note?: string;
}

/** A manual review: why the payment was held, until when, and what was decided. Kept in the workflow's state only. */
export interface PaymentReview {
  rule: string;
  heldAt: string;
  expiresAt: string;
  outcome: ReviewDecision | 'timeout' | null;
  reviewer: string | null;
  note: string | null;
  decidedAt: string | null;
}

export interface PaymentState extends PaymentTerms {
  status: PaymentStatus;
  amountCapturableMinor: number;
  amountCapturedMinor: number;
  feeMinor: number;
  gatewayReference: string | null;
  failureCode: string | null;
  failureMessage: string | null;
  cancellationReason: CancellationReason | null;
  authorizationExpiresAt: string | null;
  capturedAt: string | null;
  canceledAt: string | null;
  /** Set once the payment was held for review. */
  review?: PaymentReview | null;
  /** Set while the status is `requires_action`. */
  nextAction?: PaymentNextAction | null;
  /** Set while the status is `held`. */
  holdReason?: HoldReason | null;
  /** Each authorization attempt, once there was one at an account that could fail over. */
  attempts?: PaymentAttempt[];
}

export function initialPaymentState(input: PaymentWorkflowInput): PaymentState {
  const {
    authorizationTtlMs: _ttl,
    fees: _fees,
    reviewTimeoutMs: _review,
    actionTimeoutMs: _action,
    confirmationTimeoutMs: _confirmation,
    technicalCancelAfterMs: _technicalCancel,
    failover: _failover,
    ...terms
  } = input;
  return {
    ...terms,
    status: 'processing',
    amountCapturableMinor: 0,
    amountCapturedMinor: 0,
    feeMinor: 0,
    gatewayReference: null,
    failureCode: null,
    failureMessage: null,
    cancellationReason: null,
    authorizationExpiresAt: null,
    capturedAt: null,
    canceledAt: null,
  };
}

export function isFinalPaymentStatus(status: PaymentStatus): boolean {
  return FINAL_PAYMENT_STATUSES.includes(status);
}

/** The workflow ID of a payment: readable in the Temporal UI and derived from the business key. */
export function paymentWorkflowId(paymentId: string): string {
  return `payment-${paymentId}`;
}

export interface CaptureRequest {
  /** Minor units to capture; the whole authorization when omitted. */
  amountMinor?: number;
}

export interface CancelRequest {
  reason: CancellationReason;
}
