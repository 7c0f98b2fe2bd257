import { ApplicationFailure } from '@temporalio/activity';
import type { Orm } from '../src/db/orm';
import { sqlFor } from '../src/db/sql';
import { recordEvent } from '../src/events/event-recorder';
import { ledgerAccounts } from '../src/ledger/ledger-accounts';
import { postJournalEntry } from '../src/ledger/ledger-service';
import { readPaymentBalance } from '../src/payments/payment-balance';
import { RefundEntity } from '../src/refunds/refund-entity';
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
        const balance = await readPaymentBalance(em, input.paymentId, { lock: true });
        // A retry after a commit finds its own row: the amount is already held.
        if (await em.findOne(RefundEntity, { id: input.refundId })) return;
        if (!balance || balance.status !== 'succeeded' || balance.merchantId !== input.merchantId) throw businessFailure('PaymentNotRefundable');
        if (input.amountMinor > balance.availableMinor) throw businessFailure('RefundExceedsAvailable');
        await em.insert(RefundEntity, refundRecordFromState({ ...input, status: 'pending', gatewayReference: null, failureCode: null, failureMessage: null }, now()));
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
        const connection = em.getConnection();
        const trx = em.getTransactionContext();
        const settled = await connection.execute<{ id: string }[]>(
          `update refunds set status = ?, gateway_reference = ?, failure_code = ?, failure_message = ?, updated_at = ?
            where id = ? and status = 'pending' returning id`,
          [record.status, record.gatewayReference, record.failureCode, record.failureMessage, record.updatedAt, record.id], 'all', trx);
        if (settled.length > 0 && record.status === 'succeeded') {
          await connection.execute(`update payments set amount_refunded_minor = amount_refunded_minor + ?, updated_at = ? where id = ?`,
            [record.amountMinor, record.updatedAt, record.paymentId], 'run', trx);
          await postJournalEntry(sqlFor(em), {
            idempotencyKey: `refund:${record.id}`,
            merchantId: record.merchantId,
            sourceType: 'refund',
            sourceId: record.id,
            description: `Refund ${record.id} of ${record.paymentId}`,
            postings: [
              { account: ledgerAccounts.merchantAvailable(record.merchantId), merchantId: record.merchantId, currency: record.currency, amountMinor: -record.amountMinor },
              { account: ledgerAccounts.gatewayClearing(state.gateway), currency: record.currency, amountMinor: record.amountMinor },
            ],
            balanceTransaction: { type: 'refund', currency: record.currency, amountMinor: -record.amountMinor, feeMinor: 0 },
          });
        }
        await recordEvent(sqlFor(em), {
          merchantId: record.merchantId, type: `refund.${record.status}`, idempotencyKey: `refund:${record.id}:${record.status}`,
          objectType: 'refund', objectId: record.id, object: { ...renderRefund(record) },
        });
      });
    },
  };
}
