import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Orm } from '../src/db/orm';
import { inTransaction, type Sql } from '../src/db/sql';
import { recordEvent } from '../src/events/event-recorder';
import { postJournalEntry } from '../src/ledger/ledger-service';
import type {
  PayoutNetworks,
  PayoutTarget,
  RefusedTransfer,
  SubmittedTransfer,
  TransferRequest,
  TransferStatus,
} from '../src/payouts/payout-network';
import { PayoutNetworkDirectory } from '../src/payouts/payout-network-directory';
import { payoutEntry, payoutMoney, type PayoutLedgerStep } from '../src/payouts/payout-ledger';
import { PayoutRepository, type PayoutRecord, type PayoutTransition } from '../src/payouts/payout-repository';
import type { PayoutState, PayoutStatus, PayoutWorkflowInput } from '../src/payouts/payout-state';
import { payoutRecordFromState, renderPayout } from '../src/payouts/payout-view';
import { SandboxBank } from '../src/payouts/sandbox-bank/sandbox-bank';

export interface PayoutActivityDeps {
  orm: Orm;
  /** The networks payouts travel over; the sandbox bank with its default timings (and no gateway payouts) when absent. */
  payoutNetworks?: PayoutNetworks;
  now?: () => Date;
}

/** The failure type the payout workflow reads when the available balance no longer covers a payout. */
export const PAYOUT_BALANCE_INSUFFICIENT = 'PayoutBalanceInsufficient';

/** The steps after the reservation, each with the statuses it starts from, its ledger entry and its event. */
type PayoutStep = 'in_transit' | 'paid' | 'failed' | 'canceled' | 'returned';
const STEPS: Record<PayoutStep, { status: PayoutStatus; from: PayoutStatus[]; ledger?: PayoutLedgerStep; event: string }> = {
  in_transit: { status: 'in_transit', from: ['pending'], event: 'payout.updated' },
  paid: { status: 'paid', from: ['in_transit'], ledger: 'paid', event: 'payout.paid' },
  // From pending too: a gateway can refuse a payout outright, before anything is in transit.
  failed: { status: 'failed', from: ['pending', 'in_transit'], ledger: 'failed', event: 'payout.failed' },
  canceled: { status: 'canceled', from: ['pending'], ledger: 'canceled', event: 'payout.canceled' },
  returned: { status: 'failed', from: ['paid'], ledger: 'returned', event: 'payout.failed' },
};

async function recordPayoutEvent(sql: Sql, payout: PayoutRecord, type: string, key: string): Promise<void> {
  await recordEvent(sql, {
    merchantId: payout.merchantId,
    type,
    idempotencyKey: `payout:${payout.id}:${key}`,
    objectType: 'payout',
    objectId: payout.id,
    object: { ...renderPayout(payout) },
  });
}

export function createPayoutActivities({ orm, payoutNetworks, now = () => new Date() }: PayoutActivityDeps) {
  const networks: PayoutNetworks = payoutNetworks ?? new PayoutNetworkDirectory({ sandboxBank: new SandboxBank(orm) });

  return {
    /**
     * Takes the payout's amount and fee from the available balance, under a lock on that balance,
     * and records the payout as pending with its `payout.created` event, all in one transaction.
     * Concurrent payouts of one merchant and currency take turns here, so together they never take
     * the balance below zero. A retry after a commit finds its own row and changes nothing.
     */
    async reservePayout(input: PayoutWorkflowInput): Promise<void> {
      await inTransaction(orm, async (sql) => {
        const payouts = new PayoutRepository(sql);
        const availableMinor = await payouts.availableBalance(input.merchantId, input.currency, { lock: true });
        if (await payouts.findById(input.payoutId)) return;
        if (input.amountMinor + input.feeMinor > availableMinor) {
          throw ApplicationFailure.create({
            type: PAYOUT_BALANCE_INSUFFICIENT,
            message: `The available ${input.currency} balance does not cover this payout and its fee.`,
            nonRetryable: true,
          });
        }
        const record = payoutRecordFromState(
          { ...input, status: 'pending', bankReference: null, arrivalDate: null, failureCode: null, failureMessage: null, returned: false },
          now(),
        );
        await payouts.insert(record);
        await postJournalEntry(sql, payoutEntry(payoutMoney(record), 'created'));
        await recordPayoutEvent(sql, record, 'payout.created', 'created');
      });
    },

    /**
     * Sends the transfer under the payout's own key. A retry first asks the network for a transfer
     * under that key: an answer lost after the network took it is found, even once the network has
     * forgotten the key, and never becomes a second transfer.
     */
    async submitPayoutTransfer({
      request,
      ...target
    }: PayoutTarget & { request: TransferRequest }): Promise<SubmittedTransfer | RefusedTransfer> {
      const network = await networks.resolve(target);
      if (Context.current().info.attempt > 1) {
        const earlier = await network.findTransfer(request);
        if (earlier) return earlier;
      }
      return network.submitTransfer(request);
    },

    /** The network's word on the transfer as of the workflow's clock; null if it never received it. */
    async payoutTransferStatus({
      reference,
      asOf,
      ...target
    }: PayoutTarget & { reference: string; asOf: string }): Promise<TransferStatus | null> {
      return (await networks.resolve(target)).transferStatus(reference, new Date(asOf));
    },

    /**
     * Records one step of the payout: the row's new status, the step's ledger entry and its event, in
     * one transaction. Keyed throughout (the row moves only from the statuses the step starts from,
     * the entry and the event have the step's key), so a retried step writes nothing twice.
     */
    async recordPayoutStep({ state, step }: { state: PayoutState; step: PayoutStep }): Promise<void> {
      const definition = STEPS[step];
      const failing = step === 'failed' || step === 'returned';
      await inTransaction(orm, async (sql) => {
        const change: PayoutTransition = {
          status: definition.status,
          from: definition.from,
          bankReference: state.bankReference,
          bankAccountLast4: state.bankAccountLast4,
          arrivalDate: state.arrivalDate,
          // Only a bank's refusal or return carries a failure; a rejected reservation never reaches a step.
          failureCode: failing && state.failureCode !== 'balance_insufficient' ? state.failureCode : null,
          failureMessage: failing ? state.failureMessage : null,
          returned: step === 'returned',
          paidAt: state.paidAt ?? null,
          returnedAt: state.returnedAt ?? null,
          now: now(),
        };
        const { applied, payout } = await new PayoutRepository(sql).transition(state.payoutId, change);
        if (!payout) throw new Error(`Payout ${state.payoutId} has no row: its reservation never committed`);
        if (!applied) {
          // A retry of a step that committed finds the row already moved on; anything else is a bug to surface.
          const alreadyApplied = payout.status === definition.status && (step !== 'returned' || payout.returned);
          if (!alreadyApplied) throw new Error(`Payout ${payout.id} is ${payout.status}; cannot record ${step}`);
          return;
        }
        if (definition.ledger) await postJournalEntry(sql, payoutEntry(payoutMoney(payout), definition.ledger));
        await recordPayoutEvent(sql, payout, definition.event, step);
      });
    },
  };
}
