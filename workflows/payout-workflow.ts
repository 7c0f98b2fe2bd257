import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TransferStatus } from '../src/payouts/payout-network';
import { PAYOUT_FAILURE_MESSAGES, type PayoutState, type PayoutWorkflowInput } from '../src/payouts/payout-state';
import { formatMinor } from '../src/shared/money';
import { PayoutStatusKey } from '../src/temporal/search-attributes';

/** The payout's full current state. */
export const getPayoutStateQuery = defineQuery<PayoutState>('getPayoutState');
/** Returns once the payout is reserved (pending) or rejected because the balance no longer covered it. */
export const waitForPayoutDecisionUpdate = defineUpdate<PayoutState>('waitForPayoutDecision');
/** Cancels a payout not yet sent to the bank; refused (validator) once it was. */
export const cancelPayoutUpdate = defineUpdate<PayoutState>('cancelPayout');

/** What a gateway's event about the payout said changed: its id and type, and nothing the workflow would act on. */
export interface PayoutTransferUpdate {
  eventId: string;
  type: string;
}
/**
 * The gateway says the payout changed (Stripe's payout.paid, .failed, ...): the workflow asks the gateway at once
 * instead of at its next scheduled check. A nudge, never the answer: only what the gateway then says moves the payout.
 */
export const payoutTransferUpdatedSignal = defineSignal<[PayoutTransferUpdate]>('payoutTransferUpdated');

/** The failure type the validator refuses a late cancel with; the API answers 400 payout_not_cancelable. */
export const PAYOUT_NOT_CANCELABLE = 'PayoutNotCancelable';
// Must equal PAYOUT_BALANCE_INSUFFICIENT in activities/payout-activities.ts (the bundle does not import activities).
const BALANCE_INSUFFICIENT = 'PayoutBalanceInsufficient';

const DAY_MS = 86_400_000;
// A transfer the bank still calls in transit after its arrival time is asked about again this often.
const IN_TRANSIT_RECHECK_MS = 3_600_000;
const DEFAULT_RETURN_WATCH = { everyMs: DAY_MS, forMs: 7 * DAY_MS };

const options: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: [BALANCE_INSUFFICIENT] },
};
const { reservePayout, submitPayoutTransfer, payoutTransferStatus, recordPayoutStep } = proxyActivities<Activities>(options);

const nowIso = () => new Date().toISOString();

/**
 * One payout: take the money from the available balance, wait while it may still be canceled, send
 * it to the bank under the payout's own key, and ask the bank (never assume) whether it arrived;
 * after it is paid, keep asking for a while in case the bank sends it back.
 */
export async function payoutWorkflow(input: PayoutWorkflowInput): Promise<PayoutState> {
  const state: PayoutState = {
    ...input,
    status: 'pending',
    bankReference: null,
    arrivalDate: null,
    failureCode: null,
    failureMessage: null,
    returned: false,
  };
  const money = `${input.currency} ${formatMinor(input.amountMinor, input.currency)}`;
  let reserved = false;
  let cancelRequested = false;
  let sentToBank = false;
  // Set by a gateway's event and cleared by each ask; one that comes before the transfer is sent ends the first wait.
  let nudged = false;
  setHandler(getPayoutStateQuery, () => state);
  setHandler(payoutTransferUpdatedSignal, () => {
    nudged = true;
  });
  setHandler(waitForPayoutDecisionUpdate, async () => {
    await condition(() => reserved || state.status === 'rejected');
    return state;
  });
  setHandler(
    cancelPayoutUpdate,
    async () => {
      cancelRequested = true;
      await condition(() => state.status !== 'pending');
      return state;
    },
    {
      validator: () => {
        if (state.status !== 'pending' || sentToBank)
          throw ApplicationFailure.create({
            type: PAYOUT_NOT_CANCELABLE,
            message: `A payout that is ${sentToBank && state.status === 'pending' ? 'being sent to the bank' : state.status} can no longer be canceled.`,
            nonRetryable: true,
          });
      },
    },
  );
  const publish = (details: string) => {
    upsertSearchAttributes([{ key: PayoutStatusKey, value: state.returned ? 'returned' : state.status }]);
    setCurrentDetails(`**${state.returned ? 'returned' : state.status}**: ${details}`);
  };
  const step = async (next: Partial<PayoutState>, name: Parameters<Activities['recordPayoutStep']>[0]['step'], details: string) => {
    // Persist, then publish: whoever sees the new status can rely on it being stored.
    await recordPayoutStep.executeWithOptions({ ...options, summary: `record payout ${name}` }, [
      { state: { ...state, ...next }, step: name },
    ]);
    Object.assign(state, next);
    publish(details);
  };

  setCurrentDetails(`**pending**: taking ${money} from the available balance`);
  try {
    await reservePayout.executeWithOptions({ ...options, summary: `reserve ${money}` }, [input]);
  } catch (error) {
    if (!(error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === BALANCE_INSUFFICIENT))
      throw error;
    Object.assign(state, { status: 'rejected', failureCode: 'balance_insufficient', failureMessage: error.cause.message });
    publish('the available balance did not cover it; nothing was written');
    await condition(allHandlersFinished);
    return state;
  }
  reserved = true;
  publish(`${money} reserved; sent to the bank in ${Math.round(input.submitDelayMs / 1000)} s unless canceled`);

  if (await condition(() => cancelRequested, input.submitDelayMs)) {
    await step({ status: 'canceled' }, 'canceled', `canceled before it was sent; ${money} is available again`);
    await condition(allHandlersFinished);
    return state;
  }
  sentToBank = true;
  // A gateway's payout names its account; the activity loads the credentials, which never enter the history.
  const target = { network: input.network, ...(input.gatewayAccountId ? { gatewayAccount: input.gatewayAccountId } : {}) };
  const transfer = await submitPayoutTransfer.executeWithOptions({ ...options, summary: `send ${money} to the bank` }, [
    {
      ...target,
      request: {
        idempotencyKey: `${input.payoutId}:transfer`,
        payoutId: input.payoutId,
        merchantId: input.merchantId,
        livemode: input.livemode,
        amountMinor: input.amountMinor,
        currency: input.currency,
        bankAccountId: input.bankAccountId,
        bankAccountLast4: input.bankAccountLast4,
        requestedAt: nowIso(),
      },
    },
  ]);
  if (transfer.status === 'refused') {
    await step(
      { status: 'failed', failureCode: transfer.failureCode, failureMessage: PAYOUT_FAILURE_MESSAGES[transfer.failureCode] },
      'failed',
      `${input.network} refused it (${transfer.failureCode}); ${money} and the fee are available again`,
    );
    await condition(allHandlersFinished);
    return state;
  }
  const bankAccountLast4 = transfer.destinationLast4 ?? input.bankAccountLast4;
  const destination = bankAccountLast4 ? `the account ending ${bankAccountLast4}` : `the ${input.network} account's bank account`;
  await step(
    { status: 'in_transit', bankReference: transfer.reference, arrivalDate: transfer.arrivalDate, bankAccountLast4 },
    'in_transit',
    `${money} sent to ${destination} (${transfer.reference}); expected ${transfer.arrivalDate}`,
  );

  // Each wait is a timer that a nudge cuts short: condition-with-timeout starts the same timer sleep did, so histories
  // without nudges replay unchanged. Never 0, which condition() alone would mark with an SDK patch (sleep makes it 1).
  const waitUntil = (at: number) => condition(() => nudged, Math.max(at - Date.now(), 1));
  const askBank = () => {
    nudged = false;
    return payoutTransferStatus({ ...target, reference: transfer.reference, asOf: nowIso() });
  };

  // Until the bank says otherwise the money is in transit: ask at the arrival time, then hourly. A nudge asks in
  // between without moving the schedule, so an early event that changed nothing still leaves the arrival-time check.
  let outcome: TransferStatus | null = null;
  let nextAsk = Date.parse(transfer.arrivesAt);
  for (;;) {
    await waitUntil(nextAsk);
    outcome = await askBank();
    if (outcome && outcome.status !== 'in_transit') break;
    if (Date.now() >= nextAsk) nextAsk = Date.now() + IN_TRANSIT_RECHECK_MS;
  }
  if (outcome.status === 'failed') {
    const failure = { failureCode: outcome.failureCode, failureMessage: PAYOUT_FAILURE_MESSAGES[outcome.failureCode] };
    await step(
      { status: 'failed', ...failure },
      'failed',
      `the bank refused it (${outcome.failureCode}); ${money} and the fee are available again`,
    );
    return state;
  }
  await step({ status: 'paid', paidAt: outcome.paidAt }, 'paid', `${money} arrived at ${destination}`);

  // A bank may send a paid transfer back days later (account closed): the late failure gives the money back.
  // The watch ends by workflow time, not by counting asks: nudges neither end it early nor stretch it.
  const watch = input.returnWatch ?? DEFAULT_RETURN_WATCH;
  const watchEnds = Date.now() + watch.forMs;
  nextAsk = Date.now() + watch.everyMs;
  let later: TransferStatus | null = outcome;
  while (later?.status !== 'returned' && Date.now() < watchEnds) {
    await waitUntil(nextAsk);
    later = await askBank();
    // A gateway reports a paid payout that came back simply as failed (Stripe does): after paid, that is a return.
    if (later?.status === 'failed')
      later = { status: 'returned', failureCode: later.failureCode, paidAt: outcome.paidAt, returnedAt: nowIso() };
    if (Date.now() >= nextAsk) nextAsk = Date.now() + watch.everyMs;
  }
  if (later?.status === 'returned') {
    const failure = { failureCode: later.failureCode, failureMessage: PAYOUT_FAILURE_MESSAGES[later.failureCode] };
    await step(
      { status: 'failed', returned: true, returnedAt: later.returnedAt, ...failure },
      'returned',
      `the bank returned it (${later.failureCode}); ${money} is available again`,
    );
  }
  await condition(allHandlersFinished);
  return state;
}
