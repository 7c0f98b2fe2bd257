import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PaymentState, PaymentWorkflowInput } from '../src/payments/payment-state';
import { paymentWorkflowId } from '../src/payments/payment-state';
import { base62FromHex } from '../src/shared/base62';
import { formatMinor } from '../src/shared/money';
import { describeInterval } from '../src/subscriptions/billing-periods';
import {
  attemptFailureCode,
  currentBillingPeriod,
  draftInvoice,
  dunningOrigin,
  dunningStep,
  initialSubscriptionState,
  openInvoice,
  planChangeProration,
  restartedSchedule,
  resumedSchedule,
} from '../src/subscriptions/subscription-billing';
import type {
  BillingReason,
  InvoiceState,
  PlanTerms,
  SubscriptionState,
  SubscriptionWorkflowInput,
} from '../src/subscriptions/subscription-state';
import {
  AmountMinorKey,
  CurrencyKey,
  CustomerIdKey,
  GatewayKey,
  MerchantIdKey,
  NextBillingAtKey,
  PaymentIdKey,
  PaymentStatusKey,
  SubscriptionStatusKey,
} from '../src/temporal/search-attributes';
import { operationFailure } from '../src/shared/failure-types';
import { paymentWorkflow } from './payment-workflow';

/** The subscription's full current state. */
export const getSubscriptionStateQuery = defineQuery<SubscriptionState>('getSubscriptionState');
/** Returns once the subscription has started: trialing, or its first invoice paid or failed. */
export const waitForSubscriptionStartUpdate = defineUpdate<SubscriptionState>('waitForStart');
/** Cancels now, or at the end of the current period. */
export const cancelSubscriptionUpdate = defineUpdate<SubscriptionState, [{ atPeriodEnd: boolean }]>('cancel');
/** Stops billing: no invoice is created while paused. */
export const pauseSubscriptionUpdate = defineUpdate<SubscriptionState, []>('pause');
/** Billing again: within a paid period nothing is charged; after it, a new period starts at once. */
export const resumeSubscriptionUpdate = defineUpdate<SubscriptionState, []>('resume');
/** Moves to another plan of the same currency and interval, prorating the rest of the period onto the next invoice. */
export const changePlanUpdate = defineUpdate<SubscriptionState, [{ plan: PlanTerms }]>('changePlan');
/** The customer's default payment method changed: a failed invoice is retried at once. */
export const paymentMethodUpdatedSignal = defineSignal('paymentMethodUpdated');

const records = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

type SubscriptionEvent = 'customer.subscription.created' | 'customer.subscription.updated' | 'customer.subscription.deleted';
type InvoiceEvent = 'invoice.created' | 'invoice.paid' | 'invoice.payment_failed';

/**
 * One subscription for its whole life: trial, then one invoice per billing period charged through
 * the payment workflow (fraud, gateway, ledger, events) under a payment id per invoice attempt, so
 * no replay or retry charges twice; dunning on failure; pause, resume, plan changes and
 * cancellation as updates. Continues as new every few cycles, carrying its state.
 */
export async function subscriptionWorkflow(input: SubscriptionWorkflowInput): Promise<SubscriptionState> {
  const { clock } = input;
  const state: SubscriptionState = input.carried ?? initialSubscriptionState(input);
  let started = input.carried !== undefined || state.status === 'trialing';
  let cancelNow = false;
  let paymentMethodUpdated = false;
  let cyclesThisRun = 0;
  let cancellationRecorded = false;
  let invoice: InvoiceState | undefined;

  /** Subscription time: the workflow's own clock, run `scale` times faster in tests. */
  const now = () => new Date(clock.virtualOrigin + (Date.now() - clock.realOrigin) * clock.scale);
  const iso = (date: Date) => date.toISOString();
  const money = (minor: number) => `${state.plan.currency} ${formatMinor(minor, state.plan.currency)}`;

  /** Waits until `at` (subscription time) or until `wake` holds; true when woken early. */
  async function sleepUntil(at: string, wake: () => boolean): Promise<boolean> {
    for (;;) {
      if (wake()) return true;
      const remainingMs = (Date.parse(at) - now().getTime()) / clock.scale;
      if (remainingMs <= 0) return false;
      if (await condition(wake, Math.max(1, Math.ceil(remainingMs)))) return true;
    }
  }

  function publish(): void {
    upsertSearchAttributes([
      { key: SubscriptionStatusKey, value: state.status },
      { key: NextBillingAtKey, value: state.nextBillingAt ? new Date(state.nextBillingAt) : null },
    ]);
    const next = state.nextBillingAt ? `next invoice on ${state.nextBillingAt.slice(0, 10)}` : 'no invoice scheduled';
    setCurrentDetails(
      `**${state.status}** on ${state.plan.name} (${money(state.plan.amountMinor)} / ${describeInterval(state.plan.interval, state.plan.intervalCount)}): ${next}` +
        (state.cancelAtPeriodEnd ? `, cancels on ${state.currentPeriodEnd?.slice(0, 10)}` : '') +
        (invoice && invoice.status === 'open' ? `; invoice ${invoice.invoiceId} open after ${invoice.attemptCount} attempt(s)` : ''),
    );
  }

  /** Persists the subscription (and the invoice being billed) with their events, in one transaction. */
  async function record(subscriptionEvent?: SubscriptionEvent, invoiceEvents: InvoiceEvent[] = []): Promise<void> {
    state.version += 1;
    if (invoice) invoice.version += 1;
    publish();
    await records.recordSubscriptionBilling({
      subscription: { ...state },
      invoice: invoice ? { ...invoice } : undefined,
      subscriptionEvent,
      invoiceEvents,
    });
  }

  setHandler(getSubscriptionStateQuery, () => state);
  setHandler(waitForSubscriptionStartUpdate, async () => {
    await condition(() => started);
    return state;
  });
  setHandler(
    cancelSubscriptionUpdate,
    async ({ atPeriodEnd }) => {
      if (atPeriodEnd && state.status !== 'trialing' && state.status !== 'unpaid' && state.status !== 'paused') {
        state.cancelAtPeriodEnd = true;
        state.canceledAt = iso(now());
        await record('customer.subscription.updated');
      } else {
        cancelNow = true;
        await condition(() => cancellationRecorded);
      }
      return state;
    },
    {
      validator: (_request: { atPeriodEnd: boolean }) => {
        if (state.status === 'canceled' || cancelNow) throw operationFailure('SubscriptionCanceled', 'The subscription is canceled.');
      },
    },
  );
  setHandler(
    pauseSubscriptionUpdate,
    async () => {
      state.status = 'paused';
      state.pausedAt = iso(now());
      state.nextBillingAt = null;
      await record('customer.subscription.updated');
      return state;
    },
    {
      validator: () => {
        if (state.status === 'canceled' || cancelNow) throw operationFailure('SubscriptionCanceled', 'The subscription is canceled.');
        if (state.status !== 'active')
          throw operationFailure('SubscriptionNotActive', `Only an active subscription can be paused; this one is ${state.status}.`);
      },
    },
  );
  setHandler(
    resumeSubscriptionUpdate,
    async () => {
      Object.assign(state, resumedSchedule(state, now()));
      await record('customer.subscription.updated');
      return state;
    },
    {
      validator: () => {
        if (state.status !== 'paused')
          throw operationFailure('SubscriptionNotPaused', `Only a paused subscription can be resumed; this one is ${state.status}.`);
      },
    },
  );
  setHandler(
    changePlanUpdate,
    async ({ plan }) => {
      state.pendingLines.push(...planChangeProration(state, plan, now()));
      state.plan = plan;
      await record('customer.subscription.updated');
      return state;
    },
    {
      validator: ({ plan }) => {
        if (state.status === 'canceled' || cancelNow) throw operationFailure('SubscriptionCanceled', 'The subscription is canceled.');
        if (plan.planId === state.plan.planId) throw operationFailure('SamePlan', 'The subscription is already on this plan.');
        if (plan.currency !== state.plan.currency)
          throw operationFailure('PlanCurrencyMismatch', `The new plan must be in ${state.plan.currency}.`);
        if (plan.interval !== state.plan.interval || plan.intervalCount !== state.plan.intervalCount) {
          throw operationFailure(
            'PlanIntervalMismatch',
            `The new plan must bill every ${describeInterval(state.plan.interval, state.plan.intervalCount)}, like the current one.`,
          );
        }
      },
    },
  );
  setHandler(paymentMethodUpdatedSignal, () => {
    paymentMethodUpdated = true;
  });

  /** An id from the workflow's deterministic uuid4, in base62 like every other id (runs recorded before the patch keep hex). */
  function workflowMadeId(): string {
    const hex = uuid4().replace(/-/g, '');
    return patched('workflow-ids-in-base62') ? base62FromHex(hex, 22) : hex.slice(0, 22);
  }

  /** Charges one invoice attempt through the payment workflow; the payment id is fixed in history before the child starts. */
  async function chargeAttempt(current: InvoiceState): Promise<PaymentState> {
    const paymentId = `pay_${workflowMadeId()}`;
    current.attemptCount += 1;
    current.lastPaymentId = paymentId;
    const { source } = await records.getCustomerSource({ customerId: state.customerId });
    const paymentInput: PaymentWorkflowInput = {
      // Only renewals started by this code: an older subscription history replays with the input it recorded.
      ...(patched('renewal-payments-local-steps') ? { localDatabaseSteps: true } : {}),
      paymentId,
      merchantId: state.merchantId,
      amountMinor: current.amountDueMinor,
      currency: current.currency,
      source,
      description: `Invoice ${current.invoiceId} for subscription ${state.subscriptionId}`,
      metadata: { invoice: current.invoiceId, subscription: state.subscriptionId, attempt: String(current.attemptCount) },
      captureMethod: 'automatic',
      gateway: input.gateway,
      createdAt: iso(new Date()),
      fees: input.fees,
      // Captured at once: no authorization is left waiting, so its lifetime never comes into play.
      authorizationTtlMs: 7 * 24 * 3600 * 1000,
    };
    return executeChild(paymentWorkflow, {
      workflowId: paymentWorkflowId(paymentId),
      args: [paymentInput],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: MerchantIdKey, value: state.merchantId },
        { key: CustomerIdKey, value: state.customerId },
        { key: PaymentIdKey, value: paymentId },
        { key: PaymentStatusKey, value: 'processing' },
        { key: AmountMinorKey, value: current.amountDueMinor },
        { key: CurrencyKey, value: current.currency },
        { key: GatewayKey, value: input.gateway },
      ],
      staticSummary: `${money(current.amountDueMinor)} for invoice ${current.invoiceId} of subscription ${state.subscriptionId}`,
    });
  }

  /** Creates the invoice for the current period and collects it, retrying on the dunning schedule. */
  async function billCurrentPeriod(reason: BillingReason): Promise<void> {
    const { periodStart, periodEnd } = currentBillingPeriod(state);
    state.currentPeriodStart = periodStart;
    state.currentPeriodEnd = periodEnd;
    const draft = draftInvoice(state, { periodStart, periodEnd });
    state.pendingLines = [];
    state.creditBalanceMinor = draft.creditBalanceAfterMinor;
    invoice = openInvoice(state, draft, { invoiceId: `in_${workflowMadeId()}`, reason, at: now() });
    state.invoicesIssued += 1;
    state.latestInvoiceId = invoice.invoiceId;
    state.nextBillingAt = periodEnd;
    await record(undefined, ['invoice.created']);

    const firstInvoice = reason === 'subscription_create';
    const dueAtMs = dunningOrigin(periodStart, now());
    for (;;) {
      const current = invoice;
      let failureCode: string | null = null;
      if (current.amountDueMinor > 0) {
        const payment = await chargeAttempt(current);
        failureCode = attemptFailureCode(payment);
      }
      if (failureCode === null) {
        current.status = 'paid';
        current.amountPaidMinor = current.amountDueMinor;
        current.paidAt = iso(now());
        current.nextPaymentAttempt = null;
        current.lastFailureCode = null;
        state.nextBillingAt = state.currentPeriodEnd;
        const changed = state.status !== 'active';
        state.status = 'active';
        started = true;
        await record(changed ? 'customer.subscription.updated' : undefined, ['invoice.paid']);
        return;
      }
      const step = dunningStep({ dunning: input.dunning, attemptCount: current.attemptCount, failureCode, dueAtMs, firstInvoice });
      current.lastFailureCode = failureCode;
      current.nextPaymentAttempt = step.nextPaymentAttempt;
      state.status = step.status;
      state.nextBillingAt = current.nextPaymentAttempt;
      started = true;
      await record('customer.subscription.updated', ['invoice.payment_failed']);
      if (!step.retry) {
        current.status = 'uncollectible';
        current.markedUncollectibleAt = iso(now());
        state.nextBillingAt = null;
        if (step.endsAs === 'canceled') {
          // Recorded with the cancellation that follows.
          cancelNow = true;
        } else {
          state.status = 'unpaid';
          await record('customer.subscription.updated', []);
        }
        return;
      }
      paymentMethodUpdated = false;
      await sleepUntil(step.nextPaymentAttempt, () => paymentMethodUpdated || cancelNow);
      if (cancelNow) return;
    }
  }

  async function finishCancellation(): Promise<SubscriptionState> {
    const at = iso(now());
    if (invoice && invoice.status === 'open') {
      invoice.status = 'void';
      invoice.voidedAt = at;
      invoice.nextPaymentAttempt = null;
    }
    state.status = 'canceled';
    state.canceledAt ??= at;
    state.endedAt ??= at;
    state.nextBillingAt = null;
    await record('customer.subscription.deleted');
    cancellationRecorded = true;
    await condition(allHandlersFinished);
    return state;
  }

  if (!input.carried) await record('customer.subscription.created');

  // The trial: nothing to bill until it ends, unless cancelled first.
  if (state.status === 'trialing') {
    if (await sleepUntil(state.trialEnd as string, () => cancelNow)) return finishCancellation();
    state.status = 'active';
    await record('customer.subscription.updated');
    await billCurrentPeriod('subscription_cycle');
  } else if (!input.carried) {
    await billCurrentPeriod('subscription_create');
  }

  for (;;) {
    if (cancelNow) return finishCancellation();
    if (state.status === 'unpaid') {
      // Nothing is billed until the customer gives a new card; then a new period starts at once.
      paymentMethodUpdated = false;
      await condition(() => paymentMethodUpdated || cancelNow);
      if (cancelNow) continue;
      Object.assign(state, restartedSchedule(now()));
      await billCurrentPeriod('subscription_cycle');
      continue;
    }
    if (state.status === 'paused') {
      await condition(() => state.status !== 'paused' || cancelNow);
      continue;
    }
    // Until the next invoice is due: the period's end, or now after a resume that starts a new period.
    const nextBillingAt = state.nextBillingAt ?? state.currentPeriodEnd;
    if (nextBillingAt && (await sleepUntil(nextBillingAt, () => cancelNow || state.status === 'paused'))) continue;
    if (state.cancelAtPeriodEnd) {
      // Ends exactly when the paid period does.
      state.endedAt = state.currentPeriodEnd;
      cancelNow = true;
      continue;
    }
    // The next period: its boundaries follow the calendar from the anchor.
    state.cycle += 1;
    await billCurrentPeriod('subscription_cycle');
    cyclesThisRun += 1;
    if (!cancelNow && (cyclesThisRun >= input.cyclesPerRun || workflowInfo().continueAsNewSuggested)) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof subscriptionWorkflow>({ ...input, carried: state });
    }
  }
}
