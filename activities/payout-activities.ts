import { ApplicationFailure } from '@temporalio/activity';
import type { Orm } from '../src/db/orm';
import { inTransaction, type Sql } from '../src/db/sql';
import { recordEvent } from '../src/events/event-recorder';
import { postJournalEntry } from '../src/ledger/ledger-service';
import type { SubmittedTransfer, TransferRequest, TransferStatus, PayoutNetwork } from '../src/payouts/payout-network';
import { payoutEntry, payoutMoney, type PayoutLedgerStep } from '../src/payouts/payout-ledger';
import { PayoutRepository, type PayoutRecord, type PayoutTransition } from '../src/payouts/payout-repository';
import type { PayoutNetworkName, PayoutState, PayoutStatus, PayoutWorkflowInput } from '../src/payouts/payout-state';
import { payoutRecordFromState, renderPayout } from '../src/payouts/payout-view';
import { SandboxBank } from '../src/payouts/sandbox-bank/sandbox-bank';

export type PayoutNetworks = Record<PayoutNetworkName, PayoutNetwork>;

export interface PayoutActivityDeps {
  orm: Orm;
  /** The bank networks payouts travel over; the sandbox bank with its default timings when absent. */
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
  failed: { status: 'failed', from: ['in_transit'], ledger: 'failed', event: 'payout.failed' },
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
  const networks: PayoutNetworks = payoutNetworks ?? { sandbox_bank: new SandboxBank(orm) };
  const network = (name: PayoutNetworkName): PayoutNetwork => networks[name];

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

    /** Sends the transfer to the bank under the payout's own key: a retry, or a lost answer asked again, is the same transfer. */
    async submitPayoutTransfer({
      network: name,
      request,
    }: {
      network: PayoutNetworkName;
      request: TransferRequest;
    }): Promise<SubmittedTransfer> {
      return network(name).submitTransfer(request);
    },

    /** The bank's word on the transfer as of the workflow's clock; null if it never received it. */
    async payoutTransferStatus({
      network: name,
      reference,
      asOf,
    }: {
      network: PayoutNetworkName;
      reference: string;
      asOf: string;
    }): Promise<TransferStatus | null> {
      return network(name).transferStatus(reference, new Date(asOf));
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
