import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_FAILURE_TYPES, PAYMENT_FAILURES, operationFailure } from '../src/shared/failure-types';
import { formatMinor } from '../src/shared/money';
import type {
  DisputeClosedReason,
  DisputeState,
  DisputeWorkflowInput,
  ResolveDisputeRequest,
  SubmitEvidenceRequest,
} from '../src/disputes/dispute-state';
import { DisputeStatusKey } from '../src/temporal/search-attributes';

/** The dispute's full current state. */
export const getDisputeStateQuery = defineQuery<DisputeState>('getDisputeState');
/** Returns once the dispute is recorded (or rejected because nothing was left to dispute). */
export const waitForDisputeOpenedUpdate = defineUpdate<DisputeState>('waitForOpened');
/** The merchant's evidence: a draft (`submit: false`) or the one submission the network reviews. */
export const submitEvidenceUpdate = defineUpdate<DisputeState, [SubmitEvidenceRequest]>('submitEvidence');
/** The merchant accepts the dispute: it is lost at once. */
export const acceptDisputeUpdate = defineUpdate<DisputeState>('accept');
/** The card network's decision. */
export const resolveDisputeUpdate = defineUpdate<DisputeState, [ResolveDisputeRequest]>('resolve');

const options: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
};
const { openDispute, recordDisputeChange } = proxyActivities<Activities>(options);

type Command = { kind: 'evidence'; request: SubmitEvidenceRequest } | { kind: 'accept' } | { kind: 'resolve'; outcome: 'won' | 'lost' };

function unexpectedState(action: string, status: string): ApplicationFailure {
  return operationFailure('DisputeUnexpectedState', `A dispute cannot ${action} while its status is ${status}.`, [{ status }]);
}

/** One chargeback: reserve the money, wait for evidence or acceptance until the deadline, then the network's decision. */
export async function disputeWorkflow(input: DisputeWorkflowInput): Promise<DisputeState> {
  const state: DisputeState = { ...input, status: 'opening', evidence: {}, evidenceSubmittedAt: null, closedReason: null, version: 1 };
  const money = () => `${input.currency} ${formatMinor(state.amountMinor, input.currency)}`;
  let pending: Command | undefined;

  setHandler(getDisputeStateQuery, () => state);
  setHandler(waitForDisputeOpenedUpdate, async () => {
    await condition(() => state.status !== 'opening');
    return state;
  });
  const handle = async (command: Command) => {
    pending = command;
    await condition(() => pending === undefined || state.status === 'rejected');
    if (state.status === 'rejected') throw unexpectedState('take this change', state.status);
    return state;
  };
  const requireIdle = (action: string, allowed: DisputeState['status'][]) => {
    // The dispute's row is written as needs_response by the opening activity, before this workflow
    // hears back: a merchant who saw it may already answer. Such a command waits for the opening
    // to be recorded instead of being refused.
    const status = state.status === 'opening' ? 'needs_response' : state.status;
    if (!allowed.includes(status) || pending !== undefined) throw unexpectedState(action, state.status);
  };
  setHandler(submitEvidenceUpdate, (request: SubmitEvidenceRequest) => handle({ kind: 'evidence', request }), {
    validator: (_request: SubmitEvidenceRequest) => requireIdle('take evidence', ['needs_response']),
  });
  setHandler(acceptDisputeUpdate, () => handle({ kind: 'accept' }), { validator: () => requireIdle('be accepted', ['needs_response']) });
  setHandler(resolveDisputeUpdate, (request: ResolveDisputeRequest) => handle({ kind: 'resolve', outcome: request.outcome }), {
    validator: (request: ResolveDisputeRequest) => {
      requireIdle('be resolved', ['needs_response', 'under_review']);
      if (request.outcome !== 'won' && request.outcome !== 'lost')
        throw operationFailure('InvalidDisputeOutcome', 'outcome must be won or lost');
    },
  });

  const publish = (details: string) => {
    upsertSearchAttributes([{ key: DisputeStatusKey, value: state.status }]);
    setCurrentDetails(`**${state.status}**: ${details}`);
  };
  /** Persists the change with its event, then publishes it. */
  const record = async (changes: Partial<DisputeState>, eventType: 'dispute.updated' | 'dispute.closed', details: string) => {
    const next = { ...state, ...changes, version: state.version + 1 };
    await recordDisputeChange.executeWithOptions({ ...options, summary: `record ${next.status}` }, [{ state: next, eventType }]);
    Object.assign(state, next);
    publish(details);
  };
  const close = (outcome: 'won' | 'lost', closedReason: DisputeClosedReason) =>
    record(
      { status: outcome, closedReason },
      'dispute.closed',
      outcome === 'won' ? `won: ${money()} returned to the merchant` : `lost (${closedReason}): ${money()} went to the cardholder`,
    );

  try {
    const opened = await openDispute.executeWithOptions(
      { ...options, summary: `reserve ${input.currency} ${formatMinor(input.amountMinor, input.currency)} of ${input.paymentId}` },
      [input],
    );
    Object.assign(state, { status: 'needs_response', amountMinor: opened.amountMinor });
    publish(`${money()} reserved; evidence due by ${input.evidenceDueBy}`);
  } catch (error) {
    if (!(error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === 'DisputeExceedsAvailable'))
      throw error;
    state.status = 'rejected';
    publish(PAYMENT_FAILURES.DisputeExceedsAvailable.message);
    await condition(allHandlersFinished);
    return state;
  }

  while (state.status === 'needs_response' || state.status === 'under_review') {
    const deadline = state.status === 'needs_response' ? Math.max(0, Date.parse(input.evidenceDueBy) - Date.now()) : undefined;
    const commanded =
      deadline === undefined
        ? (await condition(() => pending !== undefined), true)
        : await condition(() => pending !== undefined, deadline);
    if (!commanded) {
      await close('lost', 'no_response');
      break;
    }
    const command = pending as Command;
    if (command.kind === 'evidence') {
      const evidence = { ...state.evidence, ...command.request.evidence };
      if (command.request.submit) {
        await record(
          { evidence, status: 'under_review', evidenceSubmittedAt: new Date().toISOString() },
          'dispute.updated',
          'evidence submitted; the network is reviewing it',
        );
      } else {
        await record({ evidence }, 'dispute.updated', `draft evidence saved; due by ${input.evidenceDueBy}`);
      }
    } else if (command.kind === 'accept') {
      await close('lost', 'accepted');
    } else {
      await close(command.outcome, 'network_decision');
    }
    pending = undefined;
  }
  await condition(allHandlersFinished);
  return state;
}
