import {
  ActivityFailure,
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
  uuid4,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { operationFailure } from '../src/shared/failure-types';
import { base62FromHex } from '../src/shared/base62';
import {
  checkoutPaymentStatusOf,
  initialCheckoutState,
  MAX_CHECKOUT_ATTEMPTS,
  type CheckoutPaymentView,
  type CheckoutState,
  type CheckoutSubmission,
  type CheckoutWorkflowInput,
} from '../src/checkout/checkout-state';

/** The session as it stands. */
export const getCheckoutStateQuery = defineQuery<CheckoutState>('getCheckoutState');
/**
 * The customer's card (as a vault token). Answers once the attempt is decided: paid, declined, or waiting
 * for 3-D Secure. While a payment is on its way, or once the session is complete, a submit starts nothing and
 * answers the session as it is: a double click, a second tab or a resent form never charges twice.
 */
export const submitCheckoutCardUpdate = defineUpdate<CheckoutState, [CheckoutSubmission]>('submitCard');
/** The merchant ends an open session early; answers once it is expired. */
export const expireCheckoutUpdate = defineUpdate<CheckoutState>('expire');

const recordOptions: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
};
const { recordCheckoutSession } = proxyActivities<Activities>(recordOptions);
const { startCheckoutPayment, awaitCheckoutPayment } = proxyActivities<Activities>({
  // Starting a payment waits for its first decision (a few seconds); waiting for a change polls for at most 20 s a call.
  startToCloseTimeout: '60s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['CheckoutPaymentRefused'] },
});

/** How long one wait for the payment to move lasts before the workflow asks again (the activity polls the record within it). */
const PAYMENT_WAIT_MS = 20_000;

/** One checkout session: waits for a card until `expires_at`, runs each attempt through the payment workflow, completes at most once. */
export async function checkoutWorkflow(input: CheckoutWorkflowInput): Promise<CheckoutState> {
  const state = initialCheckoutState(input);
  let submission: CheckoutSubmission | undefined;
  let attemptRunning = false;
  let expireRequested = false;
  // Set once the session's end is in the database: the API answers an expire from the record.
  let endRecorded = false;

  const paymentPending = () => attemptRunning || submission !== undefined;
  setHandler(getCheckoutStateQuery, () => state);
  setHandler(
    submitCheckoutCardUpdate,
    async (card: CheckoutSubmission) => {
      // Checked and taken in one step (no await before it): two submits in the same task cannot both start a payment.
      if (state.status !== 'open' || paymentPending() || state.paymentStatus === 'requires_action') return state;
      if (state.attempts >= MAX_CHECKOUT_ATTEMPTS)
        throw operationFailure('CheckoutAttemptsExhausted', 'This checkout session takes no more card attempts.');
      submission = card;
      await condition(() => !paymentPending());
      return state;
    },
    {
      validator: (card: CheckoutSubmission) => {
        if (typeof card?.source !== 'string' || card.source.length === 0) throw new TypeError('A card submission needs a source');
      },
    },
  );
  setHandler(
    expireCheckoutUpdate,
    async () => {
      expireRequested = true;
      await condition(() => state.status !== 'open' && endRecorded);
      if (state.status === 'complete') throw notOpen();
      return state;
    },
    {
      validator: () => {
        if (state.status === 'complete') throw notOpen();
        if (state.status === 'open' && (paymentPending() || state.paymentStatus === 'requires_action'))
          throw operationFailure('CheckoutPaymentInProgress', 'The session has a payment being decided; it cannot be expired now.');
      },
    },
  );

  function notOpen() {
    return operationFailure('CheckoutSessionNotOpen', `The checkout session is ${state.status}.`, [{ status: state.status }]);
  }

  async function record(event?: 'checkout.session.completed' | 'checkout.session.expired'): Promise<void> {
    state.version += 1;
    await recordCheckoutSession({ state: { ...state }, event });
  }

  /** Takes the payment's latest view: paid or failed ends the attempt; anything else (3-D Secure included) is still on its way. */
  function applyPayment(view: CheckoutPaymentView): 'paid' | 'failed' | 'pending' {
    state.payment = view;
    const status = checkoutPaymentStatusOf(view.status);
    if (status === 'paid' || status === 'failed') {
      state.paymentStatus = status;
      return status;
    }
    if (status === 'requires_action') state.paymentStatus = 'requires_action';
    return 'pending';
  }

  async function runAttempt(card: CheckoutSubmission): Promise<void> {
    state.attempts += 1;
    state.paymentStatus = 'unpaid';
    const paymentId = `pay_${base62FromHex(uuid4().replace(/-/g, ''), 22)}`;
    let view: CheckoutPaymentView;
    try {
      view = await startCheckoutPayment({
        sessionId: input.sessionId,
        paymentId,
        attempt: state.attempts,
        source: card.source,
        actionTimeoutMs: input.actionTimeoutMs,
      });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      // Refused before any payment existed (a token of another merchant, no gateway for the currency): nothing to charge.
      state.payment = {
        paymentId,
        status: 'failed',
        gatewayReference: null,
        actionUrl: null,
        failureCode: 'payment_refused',
        failureMessage: 'The payment could not be started with this card.',
      };
      state.paymentStatus = 'failed';
      await record();
      return;
    }
    let outcome = applyPayment(view);
    let recordedStatus = '';
    while (outcome === 'pending') {
      if (recordedStatus !== view.status) {
        recordedStatus = view.status;
        await record();
      }
      // Let the page show requires_action (the customer is sent to authenticate) while the wait goes on.
      if (checkoutPaymentStatusOf(view.status) === 'requires_action') attemptRunning = false;
      view = await awaitCheckoutPayment({ paymentId, knownStatus: view.status, maxWaitMs: PAYMENT_WAIT_MS });
      outcome = applyPayment(view);
    }
    if (outcome === 'paid') {
      state.status = 'complete';
      state.completedAt = new Date().toISOString();
      await record('checkout.session.completed');
      endRecorded = true;
    } else {
      await record();
    }
  }

  while (state.status === 'open') {
    const untilExpiry = Math.max(0, Date.parse(input.expiresAt) - Date.now());
    const woke = await condition(() => submission !== undefined || expireRequested, untilExpiry);
    if (woke && submission !== undefined) {
      const card = submission;
      attemptRunning = true;
      submission = undefined;
      await runAttempt(card);
      attemptRunning = false;
      continue;
    }
    state.status = 'expired';
    state.expiredAt = new Date().toISOString();
    await record('checkout.session.expired');
    endRecorded = true;
  }
  return state;
}
