/**
 * The payment workflow's side of a real gateway: authorization with status sync when the answer is
 * lost, and the wait for the customer's authentication. A helper of payment-workflow.ts, not a workflow.
 */
import { ActivityFailure, ApplicationFailure, condition, sleep, TimeoutFailure } from '@temporalio/workflow';
import type { AuthorizationStatus, AuthorizeResult } from '../src/gateways/payment-gateway';
import { isPaymentFailureType, type PaymentFailureType } from '../src/shared/failure-types';
import {
  CONFIRMATION_HOLD_AFTER_MS,
  DEFAULT_ACTION_TIMEOUT_MS,
  UNKNOWN_OUTCOME_HOLD_AFTER_MS,
  type GatewayModificationEvent,
  type GatewayPaymentEvent,
  type PaymentNextAction,
} from '../src/payments/payment-state';

export interface BusinessFailure {
  type: PaymentFailureType;
  /** The fraud rule that blocked the payment, from a fixed set; never a stringified cause. */
  rule?: string;
}

/** The typed business failure an activity threw, if that is what `error` is. */
export function businessFailure(error: unknown): BusinessFailure | undefined {
  // An activity's failure arrives wrapped in an ActivityFailure; a local activity's arrives as it was thrown.
  const failure = error instanceof ActivityFailure ? error.cause : error;
  if (failure instanceof ApplicationFailure && isPaymentFailureType(failure.type)) {
    const detail = failure.details?.[0] as { rule?: unknown } | undefined;
    return { type: failure.type, rule: typeof detail?.rule === 'string' ? detail.rule : undefined };
  }
  return undefined;
}

/** An activity that ran out of tries without a business answer: every try timed out, or failed with a retryable error. */
function exhaustedRetries(error: unknown): boolean {
  if (!(error instanceof ActivityFailure)) return false;
  if (error.cause instanceof TimeoutFailure) return true;
  return error.cause instanceof ApplicationFailure && !error.cause.nonRetryable;
}

/** Where an authorization stands once the gateway has said something definite. */
export type AuthorizationOutcome =
  | { kind: 'approved'; reference: string; capturedMinor: number }
  | { kind: 'requires_action'; reference: string; nextAction: PaymentNextAction }
  | { kind: 'failed'; failure: BusinessFailure };

export function outcomeOfResult(result: AuthorizeResult): AuthorizationOutcome {
  if (result.status === 'requires_action' && result.nextAction)
    return { kind: 'requires_action', reference: result.reference, nextAction: result.nextAction };
  return { kind: 'approved', reference: result.reference, capturedMinor: result.capturedMinor };
}

/** A lookup's answer as an outcome; undefined while the gateway has not decided (pending, or no trace of the request). */
function outcomeOfStatus(status: AuthorizationStatus): AuthorizationOutcome | undefined {
  switch (status.outcome) {
    case 'authorized':
    case 'captured':
      return { kind: 'approved', reference: status.reference, capturedMinor: status.capturedMinor };
    case 'requires_action':
      return { kind: 'requires_action', reference: status.reference, nextAction: status.nextAction };
    case 'declined':
      return { kind: 'failed', failure: { type: status.failureType } };
    case 'canceled':
      // Canceled at the gateway before we learnt the outcome (by the gateway, in its dashboard, or by our technical
      // cancel): nothing was charged.
      return { kind: 'failed', failure: { type: status.failureType ?? 'CardDeclined' } };
    default:
      return undefined;
  }
}

// Lookups back off from a second to five minutes: quick when the answer was merely lost, gentle when the gateway is down.
const SYNC_INITIAL_MS = 1_000;
const SYNC_MAX_MS = 5 * 60_000;

export interface AuthorizeWithSyncOptions {
  authorize: () => Promise<AuthorizeResult>;
  lookup: (reference: string | null) => Promise<AuthorizationStatus>;
  /** Called once, when the outcome is still unknown after UNKNOWN_OUTCOME_HOLD_AFTER_MS: the payment is shown `held` for ops. */
  hold: (since: string) => Promise<void>;
  /**
   * For gateways that cannot be asked (Adyen): once the outcome has been unknown for `afterMs`, `cancel` is sent
   * once (a technical cancel by our payment id); the lookups then report the cancel, or the authorization it could not undo.
   */
  technicalCancel?: { afterMs: number; cancel: () => Promise<void> };
}

/**
 * Authorizes, and when the answer never came (GatewayOutcomeUnknown), resolves it by status sync: the
 * gateway is asked what it did under our key, in a durable loop with backoff. A gateway with no trace of
 * the request is sent it again under the same key, which it cannot execute twice. The payment is never
 * failed while money may have moved: past the bound it is held, and the lookups go on.
 */
export async function authorizeWithStatusSync(options: AuthorizeWithSyncOptions): Promise<AuthorizationOutcome> {
  let unknownSince: number | undefined;
  let held = false;
  let technicallyCanceled = false;
  let delay = SYNC_INITIAL_MS;
  for (;;) {
    try {
      return outcomeOfResult(await options.authorize());
    } catch (error) {
      const failure = businessFailure(error);
      if (!failure) {
        // An attempt that may fail over has only a few tries: when they all timed out or failed transiently (a worker killed
        // mid-call, the database restarting), the gateway may have acted, so this is as unknown as a lost answer.
        if (!exhaustedRetries(error)) throw error;
      } else if (failure.type !== 'GatewayOutcomeUnknown' && failure.type !== 'GatewayTimeout') return { kind: 'failed', failure };
    }
    unknownSince ??= Date.now();
    for (;;) {
      await sleep(delay);
      delay = Math.min(delay * 2, SYNC_MAX_MS);
      if (!held && Date.now() - unknownSince >= UNKNOWN_OUTCOME_HOLD_AFTER_MS) {
        held = true;
        await options.hold(new Date(unknownSince).toISOString());
      }
      if (options.technicalCancel && !technicallyCanceled && Date.now() - unknownSince >= options.technicalCancel.afterMs) {
        technicallyCanceled = true;
        await options.technicalCancel.cancel();
      }
      let status: AuthorizationStatus;
      try {
        status = await options.lookup(null);
      } catch (error) {
        // A lookup whose own answer was lost is simply asked again.
        if (businessFailure(error)?.type === 'GatewayOutcomeUnknown') continue;
        throw error;
      }
      const outcome = outcomeOfStatus(status);
      if (outcome) return outcome;
      if (status.outcome === 'not_found') break;
    }
  }
}

/** How often a payment waiting for the customer asks the gateway, in case an event was lost. */
const ACTION_SYNC_INTERVAL_MS = 15 * 60_000;

export interface CustomerActionOptions {
  reference: string;
  timeoutMs?: number;
  /** The gateway events signalled so far, in arrival order; consumed here. */
  events: GatewayPaymentEvent[];
  lookup: (reference: string) => Promise<AuthorizationStatus>;
  /** Cancels the authorization at the gateway once the customer ran out of time. */
  cancel: () => Promise<void>;
}

/**
 * Waits for the customer to authenticate: the gateway's event says how it went, and a periodic lookup
 * covers a lost event. When time runs out the authorization is canceled at the gateway and the payment fails.
 */
export async function awaitCustomerAction(options: CustomerActionOptions): Promise<AuthorizationOutcome> {
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS);
  for (;;) {
    const wait = Math.max(0, Math.min(deadline - Date.now(), ACTION_SYNC_INTERVAL_MS));
    if (await condition(() => options.events.length > 0, wait)) {
      const event = options.events.shift() as GatewayPaymentEvent;
      if (event.reference !== options.reference) continue;
      if (event.outcome === 'authorized') return { kind: 'approved', reference: event.reference, capturedMinor: 0 };
      if (event.outcome === 'captured') return { kind: 'approved', reference: event.reference, capturedMinor: event.capturedMinor ?? 0 };
      const type = isPaymentFailureType(event.failureType) ? event.failureType : 'AuthenticationFailed';
      return { kind: 'failed', failure: { type } };
    }
    const outcome = outcomeOfStatus(await options.lookup(options.reference));
    if (outcome && outcome.kind !== 'requires_action') return outcome;
    if (Date.now() >= deadline) {
      await options.cancel();
      return { kind: 'failed', failure: { type: 'AuthenticationFailed' } };
    }
  }
}

export interface ConfirmationOptions {
  /** The modification's gateway reference, which its notification carries. */
  reference: string;
  /** The modification events signalled so far, in arrival order (never consumed: a capture and a later cancel read the same list). */
  events: GatewayModificationEvent[];
  /** Asks what the gateway's stored notifications say, in case a signal never came. */
  lookup: () => Promise<'succeeded' | 'failed' | 'pending'>;
  timeoutMs?: number;
  /** Called once, when no confirmation came within the timeout: the payment is shown `held` for ops while the wait goes on. */
  hold: () => Promise<void>;
}

/** How often a payment waiting for a confirmation asks the stored notifications. */
const CONFIRMATION_SYNC_INTERVAL_MS = 5 * 60_000;

/**
 * Waits for the gateway to confirm a capture or cancel it only `received` (Adyen's CAPTURE, CAPTURE_FAILED,
 * CANCELLATION notifications). Never guessed: past the timeout the payment is held for ops, and the wait
 * goes on. The first word on the modification counts (a CAPTURE_FAILED ahead of its CAPTURE is still a failure).
 */
export async function awaitGatewayConfirmation(options: ConfirmationOptions): Promise<GatewayModificationEvent> {
  const started = Date.now();
  const holdAt = started + (options.timeoutMs ?? CONFIRMATION_HOLD_AFTER_MS);
  let held = false;
  const matching = () => options.events.find((event) => event.reference === options.reference);
  for (;;) {
    const wait = held ? CONFIRMATION_SYNC_INTERVAL_MS : Math.max(0, Math.min(holdAt - Date.now(), CONFIRMATION_SYNC_INTERVAL_MS));
    if (await condition(() => matching() !== undefined, wait)) return matching() as GatewayModificationEvent;
    const stored = await options.lookup();
    if (stored !== 'pending') return { eventId: `lookup:${options.reference}`, reference: options.reference, outcome: stored };
    if (!held && Date.now() >= holdAt) {
      held = true;
      await options.hold();
    }
  }
}
