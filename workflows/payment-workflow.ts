import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import { PAYMENT_FAILURES, NON_RETRYABLE_FAILURE_TYPES, type PaymentFailureType, operationFailure } from '../src/shared/failure-types';
import { formatMinor } from '../src/shared/money';
import { processingFeeMinor } from '../src/ledger/fees';
import {
  DEFAULT_REVIEW_TIMEOUT_MS,
  initialPaymentState,
  TECHNICAL_CANCEL_AFTER_MS,
  MERCHANT_CANCELLATION_REASONS,
  REVIEW_DECISIONS,
  type CancelRequest,
  type CancellationReason,
  type CaptureRequest,
  type GatewayModificationEvent,
  type GatewayPaymentEvent,
  type PaymentAttempt,
  type PaymentState,
  type PaymentWorkflowInput,
  type ReviewRequest,
} from '../src/payments/payment-state';
import type { ReviewRule } from '../src/fraud/fraud-rules';
import { AuthorizationAttemptsKey, GatewayKey, PaymentStatusKey } from '../src/temporal/search-attributes';
import {
  authorizeWithStatusSync,
  awaitCustomerAction,
  awaitGatewayConfirmation,
  businessFailure,
  type AuthorizationOutcome,
  type BusinessFailure,
} from './payment-gateway-sync';

/** The payment's full current state, for ops and for the API. */
export const getPaymentStateQuery = defineQuery<PaymentState>('getPaymentState');
/** Returns once the payment has left `processing` (authorized, captured or declined): the API's synchronous answer. */
export const waitForDecisionUpdate = defineUpdate<PaymentState>('waitForDecision');
/** Captures an authorized payment, in full or in part. */
export const capturePaymentUpdate = defineUpdate<PaymentState, [CaptureRequest]>('capture');
/** Cancels an authorized payment and releases the hold on the card. */
export const cancelPaymentUpdate = defineUpdate<PaymentState, [CancelRequest]>('cancel');
/** Ops' decision on a payment held for review: approve (authorization follows; answers once it is decided) or decline. */
export const reviewPaymentUpdate = defineUpdate<PaymentState, [ReviewRequest]>('review');
/** The gateway's asynchronous word on the payment (the customer authenticated, or did not), from its signed events. */
export const gatewayPaymentEventSignal = defineSignal<[GatewayPaymentEvent]>('gatewayPaymentEvent');
/** The gateway's notification that a capture or cancel it only received (Adyen) was carried out, or not. */
export const gatewayModificationEventSignal = defineSignal<[GatewayModificationEvent]>('gatewayModificationEvent');

const REVIEW_RULE_TEXT: Record<ReviewRule, string> = {
  elevated_risk_level: 'elevated risk',
  review_amount: 'amount above the review threshold',
};
const REVIEW_NOTE_MAX = 500;

const gatewayOptions: ActivityOptions = {
  // Gateways answer in seconds; a crashed worker's call is retried after this, under the same idempotency key.
  // Room for two requests of a real gateway's adapter at its 10 s request timeout (a PaymentMethod then the
  // PaymentIntent, or a call and its status check).
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
};
const { authorizePayment, capturePayment, voidPayment, lookupAuthorization, cancelUnknownAuthorization, lookupModification } =
  proxyActivities<Activities>(gatewayOptions);
// The fraud rules read our own tables and the gateway's risk signal: the gateway's profile fits.
const fraudCheckOptions: ActivityOptions = gatewayOptions;
const { assessPaymentRisk } = proxyActivities<Activities>(fraudCheckOptions);
const recordOptions: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
};
const { recordPaymentOutcome } = proxyActivities<Activities>(recordOptions);

/**
 * The fraud rules and the recording of each state are short reads and writes of our own database, keyed
 * like every other step: as local activities they run inside the workflow task that needs them, and
 * cost the engine one marker instead of a scheduled task, its poll and a workflow task more each. The
 * gateway's calls stay ordinary activities (their retries, timeouts and pending state show in the UI).
 */
const localFraudCheckOptions: LocalActivityOptions = { startToCloseTimeout: '30s', retry: gatewayOptions.retry };
const localRecordOptions: LocalActivityOptions = { startToCloseTimeout: '10s', retry: recordOptions.retry };
const { assessPaymentRisk: assessPaymentRiskLocally } = proxyLocalActivities<Activities>(localFraudCheckOptions);
const { recordPaymentOutcome: recordPaymentOutcomeLocally } = proxyLocalActivities<Activities>(localRecordOptions);

// Tries of one attempt before an outage fails over to the next account (Temporal's retries, same key).
const FAILOVER_TRIES = 3;

/**
 * A soft decline (another acquirer may approve), an outage before the gateway acted, or a gateway still
 * refusing for rate limits after the attempt's tries (it acted on nothing): the next account may try.
 * Never a hard decline, never an unknown outcome.
 */
function failsOver(type: PaymentFailureType): boolean {
  const failure: { retryable: boolean; retryElsewhere?: boolean } = PAYMENT_FAILURES[type];
  if (failure.retryElsewhere === true || type === 'GatewayUnavailable') return true;
  // Patched: histories from before rate limits failed over replay as they ran (the payment failed rate_limit).
  return type === 'GatewayRateLimited' && patched('fail-over-on-rate-limit');
}

type PendingCommand = { kind: 'capture'; amountMinor: number } | { kind: 'cancel'; reason: CancellationReason };

/** One card payment: fraud check, authorization, capture or cancel or expiry, ledger posting and events. */
export async function paymentWorkflow(input: PaymentWorkflowInput): Promise<PaymentState> {
  const state = await runPayment(input);
  // Let a capture or cancel caller receive its answer before the workflow closes.
  await condition(allHandlersFinished);
  return state;
}

async function runPayment(input: PaymentWorkflowInput): Promise<PaymentState> {
  const state = initialPaymentState(input);
  const localDatabaseSteps = input.localDatabaseSteps === true;
  /** Search attributes set since the last status, published with the next one. */
  let unpublishedAttributes: SearchAttributeUpdatePair[] = [];
  const money = `${input.currency} ${formatMinor(input.amountMinor, input.currency)}`;
  let pending: PendingCommand | undefined;
  let commandFailure: PaymentFailureType | undefined;
  let reviewRequest: ReviewRequest | undefined;
  /** The state being recorded right now, before it is published. */
  let recording: PaymentState | undefined;
  /** A capture or cancel the gateway received is recorded as processing until its notification: the command is answered then. */
  let awaitingConfirmation = false;

  const gatewayEvents: GatewayPaymentEvent[] = [];
  const seenGatewayEvents = new Set<string>();
  setHandler(getPaymentStateQuery, () => state);
  setHandler(gatewayPaymentEventSignal, (event) => {
    // Gateways redeliver events; each counts once.
    if (seenGatewayEvents.has(event.eventId)) return;
    seenGatewayEvents.add(event.eventId);
    gatewayEvents.push(event);
  });
  const modificationEvents: GatewayModificationEvent[] = [];
  setHandler(gatewayModificationEventSignal, (event) => {
    if (seenGatewayEvents.has(event.eventId)) return;
    seenGatewayEvents.add(event.eventId);
    modificationEvents.push(event);
  });
  setHandler(waitForDecisionUpdate, async () => {
    await condition(() => state.status !== 'processing');
    return state;
  });
  setHandler(
    capturePaymentUpdate,
    async (request) => {
      pending = { kind: 'capture', amountMinor: request.amountMinor ?? (recording ?? state).amountCapturableMinor };
      await condition(() => pending === undefined || awaitingConfirmation);
      if (commandFailure)
        throw ApplicationFailure.create({ type: commandFailure, message: PAYMENT_FAILURES[commandFailure].message, nonRetryable: true });
      return state;
    },
    {
      validator: (request) => {
        requireCapturable('capture');
        const capturable = (recording ?? state).amountCapturableMinor;
        const amount = request.amountMinor ?? capturable;
        if (!Number.isSafeInteger(amount) || amount <= 0 || amount > capturable) {
          throw operationFailure('InvalidCaptureAmount', 'The capture amount must be positive and at most the amount capturable.');
        }
      },
    },
  );
  setHandler(
    cancelPaymentUpdate,
    async (request) => {
      pending = { kind: 'cancel', reason: request.reason };
      await condition(() => pending === undefined || awaitingConfirmation);
      return state;
    },
    {
      validator: (request) => {
        requireCapturable('cancel');
        if (!(MERCHANT_CANCELLATION_REASONS as readonly string[]).includes(request.reason)) {
          throw operationFailure('InvalidCancellationReason', 'Unknown cancellation reason.');
        }
      },
    },
  );

  setHandler(
    reviewPaymentUpdate,
    async (request) => {
      reviewRequest = request;
      // Approved: answer with the authorization's outcome; declined: with the failed payment. A decision
      // that arrives while requires_review is still being recorded (the API already shows it) once answered
      // with that state: it now waits for the outcome (patched, so histories from before replay as they ran).
      const decided = patched('review-answers-with-outcome')
        ? () => state.status !== 'requires_review' && state.status !== 'processing'
        : () => state.status !== 'requires_review';
      await condition(decided);
      return state;
    },
    {
      validator: (request) => {
        const current = recording ?? state;
        if (current.status !== 'requires_review' || reviewRequest !== undefined) {
          throw operationFailure('PaymentUnexpectedState', `This payment cannot be reviewed while its status is ${current.status}.`, [
            { status: current.status },
          ]);
        }
        const note = request?.note;
        if (
          !(REVIEW_DECISIONS as readonly string[]).includes(request?.decision) ||
          (note !== undefined && (typeof note !== 'string' || note.length > REVIEW_NOTE_MAX)) ||
          (request.reviewer !== undefined && typeof request.reviewer !== 'string')
        ) {
          throw operationFailure(
            'InvalidReviewDecision',
            `Send { decision: "approve" | "decline", reviewer?, note? (at most ${REVIEW_NOTE_MAX} characters) }.`,
          );
        }
      },
    },
  );

  function requireCapturable(action: string): void {
    // While requires_capture is being recorded the API may already show it; the command then waits its turn.
    const current = recording ?? state;
    if (current.status !== 'requires_capture' || pending !== undefined) {
      throw operationFailure('PaymentUnexpectedState', `This payment cannot ${action} while its status is ${state.status}.`, [
        { status: state.status },
      ]);
    }
  }

  /** Persists the next state, then publishes it: whoever sees a decision can rely on it being stored. */
  async function settle(status: PaymentState['status'], changes: Partial<PaymentState>, details: string): Promise<void> {
    const next: PaymentState = { ...state, ...changes, status };
    // What the customer had to do, or why the payment was held, ends with the status it explained.
    if (status !== 'requires_action' && next.nextAction) next.nextAction = null;
    if (status !== 'held' && next.holdReason) next.holdReason = null;
    recording = next;
    if (localDatabaseSteps)
      await recordPaymentOutcomeLocally.executeWithOptions({ ...localRecordOptions, summary: `record ${status}` }, [{ state: next }]);
    else await recordPaymentOutcome.executeWithOptions({ ...recordOptions, summary: `record ${status}` }, [{ state: next }]);
    Object.assign(state, next);
    recording = undefined;
    upsertSearchAttributes([...unpublishedAttributes, { key: PaymentStatusKey, value: status }]);
    unpublishedAttributes = [];
    setCurrentDetails(`**${status}**: ${details}`);
  }

  async function fail({ type, rule }: BusinessFailure, changes: Partial<PaymentState> = {}): Promise<PaymentState> {
    const message = rule ? `${PAYMENT_FAILURES[type].message} Rule: ${rule}.` : PAYMENT_FAILURES[type].message;
    await settle(
      'failed',
      { ...changes, failureCode: PAYMENT_FAILURES[type].code, failureMessage: message, amountCapturableMinor: 0 },
      PAYMENT_FAILURES[type].code,
    );
    return state;
  }

  /** Holds the payment until ops approve or decline it, or the review times out (declined); true when approved. */
  async function holdForReview(rule: ReviewRule): Promise<boolean> {
    const timeoutMs = input.reviewTimeoutMs ?? DEFAULT_REVIEW_TIMEOUT_MS;
    const heldAt = new Date();
    const expiresAt = new Date(heldAt.getTime() + timeoutMs).toISOString();
    const review = { rule, heldAt: heldAt.toISOString(), expiresAt, outcome: null, reviewer: null, note: null, decidedAt: null };
    await settle('requires_review', { review }, `held for review: ${REVIEW_RULE_TEXT[rule]}; declines automatically at ${expiresAt}`);
    // A decision that arrives together with the timer still counts.
    await condition(() => reviewRequest !== undefined, timeoutMs);
    const request = reviewRequest;
    const decidedAt = new Date().toISOString();
    if (!request) {
      await fail({ type: 'ReviewTimedOut' }, { review: { ...review, outcome: 'timeout', decidedAt } });
      return false;
    }
    const outcome = { ...review, outcome: request.decision, reviewer: request.reviewer ?? null, note: request.note ?? null, decidedAt };
    if (request.decision === 'decline') {
      await fail({ type: 'ReviewDeclined' }, { review: outcome });
      return false;
    }
    state.review = outcome;
    return true;
  }

  setCurrentDetails(`**processing**: ${money}, checking fraud rules`);
  let risk;
  try {
    const riskInput = {
      paymentId: input.paymentId,
      merchantId: input.merchantId,
      amountMinor: input.amountMinor,
      currency: input.currency,
      source: input.source,
      gateway: input.gateway,
      ...(input.gatewayAccount ? { gatewayAccount: input.gatewayAccount } : {}),
    };
    const summary = `fraud rules for ${money}`;
    risk = localDatabaseSteps
      ? await assessPaymentRiskLocally.executeWithOptions({ ...localFraudCheckOptions, summary }, [riskInput])
      : await assessPaymentRisk.executeWithOptions({ ...fraudCheckOptions, summary }, [riskInput]);
  } catch (error) {
    const failure = businessFailure(error);
    if (failure) return fail(failure);
    throw error;
  }
  // Only this branch adds commands: a payment that needs no review runs the same commands as one recorded without review.
  if (risk.review && !(await holdForReview(risk.review))) return state;

  const automatic = input.captureMethod === 'automatic';
  // Where the payment may go, in order: its account, then (decided at creation) the accounts it fails over to.
  const candidates: { gateway: string; gatewayAccount?: string }[] = [
    { gateway: input.gateway, ...(input.gatewayAccount ? { gatewayAccount: input.gatewayAccount } : {}) },
    ...(input.failover?.accounts ?? []),
  ];
  const attemptLimit = Math.min(candidates.length, input.failover?.maxAttempts ?? 1);
  let target = candidates[0];
  // The first attempt keeps the key payments always had; each failover is a new attempt under its own key.
  let authorizeKey = `${input.paymentId}:authorize`;
  const lookup = (reference: string | null) =>
    lookupAuthorization({
      ...target,
      idempotencyKey: authorizeKey,
      paymentId: input.paymentId,
      reference,
      amountMinor: input.amountMinor,
      currency: input.currency,
      capture: automatic,
      ...(technicalCancelSent ? { technicalCancelSent } : {}),
    });
  const attempts: PaymentAttempt[] = [];
  let technicalCancelSent = false;
  // Why the payment goes where it goes, for ops reading the workflow (the decision itself is in the input and the query).
  const routedBy = input.routing
    ? `; routed by ${input.routing.rule === null ? 'priority' : `rule ${input.routing.rule}`} of routing v${input.routing.routingVersion}` +
      (input.routing.splitDraw === null ? '' : `, split draw ${input.routing.splitDraw.toFixed(4)}`)
    : '';
  let outcome: AuthorizationOutcome;
  for (let attempt = 0; ; attempt++) {
    target = candidates[attempt];
    if (attempt > 0) authorizeKey = `${input.paymentId}:authorize:${attempt + 1}`;
    const canFailOver = attempt + 1 < attemptLimit;
    const startedAt = new Date().toISOString();
    setCurrentDetails(
      `**processing**: ${money}, ${automatic ? 'charging' : 'authorizing'} at ${target.gateway}${target.gatewayAccount ? ` (${target.gatewayAccount})` : ''}` +
        `${attempt > 0 ? `, attempt ${attempt + 1} after a failover` : ''}${routedBy}`,
    );
    outcome = await authorizeWithStatusSync({
      authorize: () =>
        authorizePayment.executeWithOptions(
          {
            ...gatewayOptions,
            // With an account to fail over to, an outage is not waited out here: a few tries, then the next account.
            ...(canFailOver ? { retry: { ...gatewayOptions.retry, maximumAttempts: FAILOVER_TRIES } } : {}),
            summary: `${automatic ? 'charge' : 'authorize'} ${money} at ${target.gateway}`,
          },
          [
            {
              ...target,
              idempotencyKey: authorizeKey,
              paymentId: input.paymentId,
              amountMinor: input.amountMinor,
              currency: input.currency,
              source: input.source,
              capture: automatic,
              ...(target.gatewayAccount ? { merchantId: input.merchantId } : {}),
              ...(input.returnUrl ? { returnUrl: input.returnUrl } : {}),
            },
          ],
        ),
      lookup,
      hold: (since) =>
        settle(
          'held',
          { holdReason: 'gateway_outcome_unknown' },
          `${target.gateway} has not confirmed the outcome since ${since}; it is being looked up, and the payment is never failed while money may have moved`,
        ),
      // Adyen cannot be asked about a lost /payments answer: past a bound it is canceled by our payment id, and the
      // notifications then say whether there was anything to cancel (only Adyen payments, so older histories replay as they ran).
      ...(target.gateway === 'adyen'
        ? {
            technicalCancel: {
              afterMs: input.technicalCancelAfterMs ?? TECHNICAL_CANCEL_AFTER_MS,
              cancel: async () => {
                technicalCancelSent = true;
                await cancelUnknownAuthorization.executeWithOptions(
                  { ...gatewayOptions, summary: `technical cancel of ${input.paymentId} at ${target.gateway}` },
                  [{ ...target, idempotencyKey: `${authorizeKey}:technical_cancel`, paymentId: input.paymentId }],
                );
              },
            },
          }
        : {}),
    });
    const failOver = canFailOver && outcome.kind === 'failed' && failsOver(outcome.failure.type);
    if (input.failover) {
      attempts.push({
        gateway: target.gateway,
        gatewayAccount: target.gatewayAccount ?? null,
        outcome: outcome.kind === 'failed' ? 'declined' : outcome.kind === 'approved' ? 'approved' : 'requires_action',
        failureCode: outcome.kind === 'failed' ? PAYMENT_FAILURES[outcome.failure.type].code : null,
        failedOver: failOver,
        startedAt,
        finishedAt: new Date().toISOString(),
      });
      state.attempts = [...attempts];
    }
    if (!failOver) break;
  }
  // Captures, voids and refunds go to the account that holds the authorization.
  if (attempts.length > 1) Object.assign(state, { gateway: target.gateway, gatewayAccount: target.gatewayAccount ?? null });
  // Ops filter on how many attempts a payment took and where it ended (patched: older histories never set them).
  if (attempts.length > 0 && patched('attempt-search-attributes')) {
    const attemptAttributes: SearchAttributeUpdatePair[] = [
      { key: AuthorizationAttemptsKey, value: attempts.length },
      { key: GatewayKey, value: target.gateway },
    ];
    // Written with the next status, in one visibility update instead of two.
    if (localDatabaseSteps) unpublishedAttributes = attemptAttributes;
    else upsertSearchAttributes(attemptAttributes);
  }
  if (outcome.kind === 'requires_action') {
    const { reference } = outcome;
    await settle(
      'requires_action',
      { gatewayReference: reference, nextAction: outcome.nextAction },
      `${money}: waiting for the customer to authenticate at ${input.gateway}`,
    );
    outcome = await awaitCustomerAction({
      reference,
      timeoutMs: input.actionTimeoutMs,
      events: gatewayEvents,
      lookup: (ref) => lookup(ref),
      cancel: async () => {
        await voidPayment({
          ...target,
          idempotencyKey: `${input.paymentId}:void`,
          reference,
          amountMinor: input.amountMinor,
          currency: input.currency,
        });
      },
    });
  }
  if (outcome.kind === 'failed') return fail(outcome.failure);
  if (outcome.kind === 'requires_action') throw new Error('unreachable: the customer action was awaited');
  const authorization = { reference: outcome.reference, capturedMinor: outcome.capturedMinor };

  if (automatic) {
    const captured = authorization.capturedMinor;
    await settle(
      'succeeded',
      {
        gatewayReference: authorization.reference,
        amountCapturedMinor: captured,
        feeMinor: processingFeeMinor(captured, input.fees),
        capturedAt: new Date().toISOString(),
      },
      `${money} captured`,
    );
    return state;
  }

  const expiresAt = new Date(Date.parse(input.createdAt) + input.authorizationTtlMs);
  await settle(
    'requires_capture',
    {
      gatewayReference: authorization.reference,
      amountCapturableMinor: input.amountMinor,
      authorizationExpiresAt: expiresAt.toISOString(),
    },
    `${money} authorized, awaiting capture until ${expiresAt.toISOString()}`,
  );

  for (;;) {
    const commanded = await condition(() => pending !== undefined, Math.max(0, expiresAt.getTime() - Date.now()));
    if (!commanded) {
      await release('expired');
      return state;
    }
    const command = pending as PendingCommand;
    commandFailure = undefined;
    if (command.kind === 'cancel') {
      await release(command.reason);
      pending = undefined;
      return state;
    }
    try {
      const capture = await capturePayment({
        ...target,
        idempotencyKey: `${input.paymentId}:capture`,
        reference: authorization.reference,
        amountMinor: command.amountMinor,
        currency: input.currency,
      });
      if (capture.status === 'received' && capture.modificationReference) {
        const what = `capture of ${input.currency} ${formatMinor(command.amountMinor, input.currency)}`;
        const confirmation = await confirmModification(capture.modificationReference, what);
        if (confirmation.outcome === 'failed') {
          pending = undefined;
          return await fail({ type: 'CaptureFailed' });
        }
      }
      await settle(
        'succeeded',
        {
          amountCapturedMinor: capture.capturedMinor,
          amountCapturableMinor: 0,
          feeMinor: processingFeeMinor(capture.capturedMinor, input.fees),
          capturedAt: new Date().toISOString(),
        },
        `${input.currency} ${formatMinor(capture.capturedMinor, input.currency)} of ${money} captured`,
      );
      pending = undefined;
      return state;
    } catch (error) {
      const type = businessFailure(error)?.type;
      if (!type) throw error;
      commandFailure = type;
      pending = undefined;
      if (type === 'AuthorizationExpired') {
        await settle(
          'canceled',
          { amountCapturableMinor: 0, cancellationReason: 'expired', canceledAt: new Date().toISOString() },
          'authorization expired at the gateway',
        );
        return state;
      }
    }
  }

  async function release(reason: CancellationReason): Promise<void> {
    const voided = await voidPayment({
      ...target,
      idempotencyKey: `${input.paymentId}:void`,
      reference: state.gatewayReference as string,
      amountMinor: input.amountMinor,
      currency: input.currency,
    });
    let refused = '';
    if (voided.status === 'received' && voided.modificationReference) {
      const confirmation = await confirmModification(voided.modificationReference, 'cancel');
      // Refused (the authorization had lapsed at the issuer): nothing will ever be captured, so the payment is
      // canceled all the same, and the details say what the gateway answered.
      if (confirmation.outcome === 'failed')
        refused = `; ${target.gateway} refused the cancel (${confirmation.reason ?? 'no reason given'})`;
    }
    await settle(
      'canceled',
      { amountCapturableMinor: 0, cancellationReason: reason, canceledAt: new Date().toISOString() },
      (reason === 'expired' ? 'authorization expired uncaptured and was voided' : `canceled (${reason})`) + refused,
    );
  }

  /**
   * A capture or cancel the gateway only received (Adyen): the payment shows `processing` (the command is
   * answered with it) until the notification confirms it, and is held for ops if none comes in time.
   */
  async function confirmModification(reference: string, what: string): Promise<GatewayModificationEvent> {
    await settle('processing', {}, `${target.gateway} received the ${what} (${reference}) and confirms it by notification`);
    awaitingConfirmation = true;
    const since = new Date().toISOString();
    try {
      return await awaitGatewayConfirmation({
        reference,
        events: modificationEvents,
        lookup: () => lookupModification({ ...target, reference }),
        timeoutMs: input.confirmationTimeoutMs,
        hold: () =>
          settle(
            'held',
            { holdReason: 'gateway_confirmation_missing' },
            `${target.gateway} has not confirmed the ${what} (${reference}) since ${since}; still waiting for its notification`,
          ),
      });
    } finally {
      awaitingConfirmation = false;
    }
  }
}
