import { ApplicationFailure } from '@temporalio/activity';
import type { Orm } from '../src/db/orm';
import { sqlFor } from '../src/db/sql';
import { DisputeRepository } from '../src/disputes/dispute-repository';
import type { DisputeState, DisputeWorkflowInput } from '../src/disputes/dispute-state';
import { disputeRecordFromState, renderDispute } from '../src/disputes/dispute-view';
import { recordEvent } from '../src/events/event-recorder';
import { ledgerAccounts } from '../src/ledger/ledger-accounts';
import { postJournalEntry } from '../src/ledger/ledger-service';
import { readPaymentBalance } from '../src/payments/payment-balance';
import { PAYMENT_FAILURES } from '../src/shared/failure-types';

export interface DisputeActivityDeps {
  orm: Orm;
  now?: () => Date;
}

export interface OpenDisputeResult {
  /** What is actually disputed: never more than the payment has left after refunds and other disputes. */
  amountMinor: number;
}

export function createDisputeActivities({ orm, now = () => new Date() }: DisputeActivityDeps) {
  return {
    /**
     * Records a dispute the network opened: under a lock on the payment, caps it at what is left,
     * moves the amount and the dispute fee out of the merchant's available balance (the amount into
     * the reserve), and records `dispute.created`. One transaction; a retry finds its row and stops.
     */
    async openDispute(input: DisputeWorkflowInput): Promise<OpenDisputeResult> {
      return orm.em.fork().transactional(async (em) => {
        const balance = await readPaymentBalance(em, input.paymentId, { lock: true });
        const disputes = new DisputeRepository(em);
        const existing = await disputes.findOpened(input.disputeId);
        if (existing) return { amountMinor: existing.amountMinor };
        if (!balance || balance.status !== 'succeeded' || balance.availableMinor <= 0) {
          throw ApplicationFailure.create({
            type: 'DisputeExceedsAvailable',
            message: PAYMENT_FAILURES.DisputeExceedsAvailable.message,
            nonRetryable: true,
          });
        }
        const amountMinor = Math.min(input.amountMinor, balance.availableMinor);
        const record = disputeRecordFromState(
          {
            ...input,
            amountMinor,
            status: 'needs_response',
            evidence: {},
            evidenceSubmittedAt: null,
            closedReason: null,
            version: 1,
          },
          now(),
        );
        await disputes.insert(record);
        const { merchantId, currency } = input;
        await postJournalEntry(sqlFor(em), {
          idempotencyKey: `dispute:${input.disputeId}:open`,
          merchantId,
          sourceType: 'dispute',
          sourceId: input.disputeId,
          description: `Dispute ${input.disputeId} opened on ${input.paymentId}`,
          postings: [
            { account: ledgerAccounts.merchantAvailable(merchantId), merchantId, currency, amountMinor: -(amountMinor + input.feeMinor) },
            { account: ledgerAccounts.merchantReserve(merchantId), merchantId, currency, amountMinor },
            ...(input.feeMinor > 0 ? [{ account: ledgerAccounts.disputeFeeRevenue(), currency, amountMinor: input.feeMinor }] : []),
          ],
          balanceTransaction: { type: 'dispute', currency, amountMinor: -amountMinor, feeMinor: input.feeMinor },
        });
        await recordEvent(sqlFor(em), {
          merchantId,
          type: 'dispute.created',
          idempotencyKey: `dispute:${input.disputeId}:v1`,
          objectType: 'dispute',
          objectId: input.disputeId,
          object: { ...renderDispute(record) },
        });
        return { amountMinor };
      });
    },

    /**
     * Records a change of a dispute and its event; on close, releases the reserve: back to the
     * merchant when won (the fee stays charged), to the card network when lost.
     */
    async recordDisputeChange({
      state,
      eventType,
    }: {
      state: DisputeState;
      eventType: 'dispute.updated' | 'dispute.closed';
    }): Promise<void> {
      await orm.em.fork().transactional(async (em) => {
        const record = disputeRecordFromState(state, now());
        await new DisputeRepository(em).updateState(record);
        if (record.status === 'won' || record.status === 'lost') {
          const { merchantId, currency, amountMinor } = record;
          await postJournalEntry(sqlFor(em), {
            idempotencyKey: `dispute:${record.id}:close`,
            merchantId,
            sourceType: 'dispute',
            sourceId: record.id,
            description: `Dispute ${record.id} ${record.status}`,
            postings: [
              { account: ledgerAccounts.merchantReserve(merchantId), merchantId, currency, amountMinor: -amountMinor },
              record.status === 'won'
                ? { account: ledgerAccounts.merchantAvailable(merchantId), merchantId, currency, amountMinor }
                : { account: ledgerAccounts.gatewayClearing(state.gateway), currency, amountMinor },
            ],
            // Only a won dispute moves the available balance (the reserve comes back); a lost one settles the held funds.
            ...(record.status === 'won'
              ? { balanceTransaction: { type: 'dispute_reversal' as const, currency, amountMinor, feeMinor: 0 } }
              : {}),
          });
        }
        await recordEvent(sqlFor(em), {
          merchantId: record.merchantId,
          type: eventType,
          idempotencyKey: `dispute:${record.id}:v${state.version}`,
          objectType: 'dispute',
          objectId: record.id,
          object: { ...renderDispute(record) },
        });
      });
    },
  };
}
