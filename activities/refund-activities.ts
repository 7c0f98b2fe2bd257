import { ApplicationFailure } from '@temporalio/activity';
import type { Orm } from '../src/db/orm';
import { sqlFor } from '../src/db/sql';
import { recordEvent } from '../src/events/event-recorder';
import { ledgerAccounts } from '../src/ledger/ledger-accounts';
import { postJournalEntry } from '../src/ledger/ledger-service';
import { readPaymentBalance } from '../src/payments/payment-balance';
import { PaymentRepository } from '../src/payments/payment-repository';
import { RefundRepository } from '../src/refunds/refund-repository';
import type { RefundState, RefundWorkflowInput } from '../src/refunds/refund-state';
import { refundRecordFromState, renderRefund } from '../src/refunds/refund-view';
import { PAYMENT_FAILURES, type PaymentFailureType } from '../src/shared/failure-types';

export interface RefundActivityDeps {
  orm: Orm;
  now?: () => Date;
}

function businessFailure(type: PaymentFailureType): ApplicationFailure {
  return ApplicationFailure.create({ type, message: PAYMENT_FAILURES[type].message, nonRetryable: true });
}

export function createRefundActivities({ orm, now = () => new Date() }: RefundActivityDeps) {
  return {
    /**
     * Holds the refund's amount against the payment, under a lock on the payment row, and records
     * the refund as pending. Concurrent refunds of one payment take turns here.
     */
    async reserveRefund(input: RefundWorkflowInput): Promise<void> {
      await orm.em.fork().transactional(async (em) => {
        const refunds = new RefundRepository(em);
        const balance = await readPaymentBalance(em, input.paymentId, { lock: true });
        // A retry after a commit finds its own row: the amount is already held.
        if (await refunds.findReserved(input.refundId)) return;
        if (!balance || balance.status !== 'succeeded' || balance.merchantId !== input.merchantId)
          throw businessFailure('PaymentNotRefundable');
        if (input.amountMinor > balance.availableMinor) throw businessFailure('RefundExceedsAvailable');
        await refunds.insert(
          refundRecordFromState({ ...input, status: 'pending', gatewayReference: null, failureCode: null, failureMessage: null }, now()),
        );
      });
    },

    /**
     * Settles a pending refund: on success the payment's refunded amount grows and the ledger
     * takes the money back from the merchant (the processing fee is not returned); either way a
     * `refund.<status>` event is recorded. One transaction, keyed writes: a retry changes nothing.
     */
    async recordRefundOutcome({ state }: { state: RefundState }): Promise<void> {
      await orm.em.fork().transactional(async (em) => {
        const record = refundRecordFromState(state, now());
        const settled = await new RefundRepository(em).settlePending(record);
        if (settled && record.status === 'succeeded') {
          await new PaymentRepository(em).addRefunded(record.paymentId, record.amountMinor, record.updatedAt);
          await postJournalEntry(sqlFor(em), {
            idempotencyKey: `refund:${record.id}`,
            merchantId: record.merchantId,
            sourceType: 'refund',
            sourceId: record.id,
            description: `Refund ${record.id} of ${record.paymentId}`,
            postings: [
              {
                account: ledgerAccounts.merchantAvailable(record.merchantId),
                merchantId: record.merchantId,
                currency: record.currency,
                amountMinor: -record.amountMinor,
              },
              { account: ledgerAccounts.gatewayClearing(state.gateway), currency: record.currency, amountMinor: record.amountMinor },
            ],
            balanceTransaction: { type: 'refund', currency: record.currency, amountMinor: -record.amountMinor, feeMinor: 0 },
          });
        }
        await recordEvent(sqlFor(em), {
          merchantId: record.merchantId,
          type: `refund.${record.status}`,
          idempotencyKey: `refund:${record.id}:${record.status}`,
          objectType: 'refund',
          objectId: record.id,
          object: { ...renderRefund(record) },
        });
      });
    },
  };
}
