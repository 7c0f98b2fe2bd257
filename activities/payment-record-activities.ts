import type { Orm } from '../src/db/orm';
import { recordEvent } from '../src/events/event-recorder';
import { ledgerAccounts } from '../src/ledger/ledger-accounts';
import { postJournalEntry } from '../src/ledger/ledger-service';
import { inTransaction } from '../src/db/sql';
import { notifyPaymentDecided, savePayment } from '../src/payments/payment-repository';
import type { PaymentState } from '../src/payments/payment-state';
import { paymentRecordFromState, renderPayment } from '../src/payments/payment-view';
import { ReceiptRepository } from '../src/receipts/receipt-repository';
import { newReceiptToken, receiptUrl } from '../src/receipts/receipt-tokens';

export interface PaymentRecordActivityDeps {
  orm: Orm;
  now?: () => Date;
  /** Days a capture stays pending for merchants without a delay of their own. */
  settlementDelayDays?: number;
  /** The base of receipt links (PUBLIC_URL) in the `payment.succeeded` event's payment. */
  publicUrl?: string;
}

export interface RecordPaymentOutcomeInput {
  state: PaymentState;
}

export function createPaymentRecordActivities({
  orm,
  now = () => new Date(),
  settlementDelayDays = 2,
  publicUrl,
}: PaymentRecordActivityDeps) {
  return {
    /**
     * Writes a payment's new state, its `payment.<status>` event and, on capture, its ledger entry,
     * in one transaction: no charge without its entry, no entry without its payment. Every write is
     * keyed, so a retry changes nothing.
     */
    async recordPaymentOutcome({ state }: RecordPaymentOutcomeInput): Promise<void> {
      await inTransaction(orm, async (sql) => {
        const record = paymentRecordFromState(state, now());
        await savePayment(sql, record);
        if (state.status === 'succeeded') {
          await postJournalEntry(sql, {
            idempotencyKey: `payment:${state.paymentId}:capture`,
            merchantId: state.merchantId,
            sourceType: 'payment',
            sourceId: state.paymentId,
            description: `Capture of ${state.paymentId}`,
            postings: [
              { account: ledgerAccounts.gatewayClearing(state.gateway), currency: state.currency, amountMinor: -state.amountCapturedMinor },
              {
                account: ledgerAccounts.merchantPending(state.merchantId),
                merchantId: state.merchantId,
                currency: state.currency,
                amountMinor: state.amountCapturedMinor,
              },
              // The fee is withheld now and invoiced monthly, when it becomes platform revenue.
              ...(state.feeMinor !== 0
                ? [
                    {
                      account: ledgerAccounts.merchantPending(state.merchantId),
                      merchantId: state.merchantId,
                      currency: state.currency,
                      amountMinor: -state.feeMinor,
                    },
                    {
                      account: ledgerAccounts.merchantFeesPayable(state.merchantId),
                      merchantId: state.merchantId,
                      currency: state.currency,
                      amountMinor: state.feeMinor,
                    },
                  ]
                : []),
            ],
            balanceTransaction: {
              type: 'charge',
              currency: state.currency,
              amountMinor: state.amountCapturedMinor,
              feeMinor: state.feeMinor,
              defaultSettlementDelayDays: settlementDelayDays,
            },
          });
        }
        // The receipt's token is made with the success it proves; a retried write keeps the first token.
        const receiptToken =
          state.status === 'succeeded'
            ? await new ReceiptRepository(sql).ensureToken(state.paymentId, state.merchantId, newReceiptToken())
            : undefined;
        // A capture or cancel waiting for the gateway's confirmation is shown as processing; no event announces that.
        if (state.status !== 'processing')
          await recordEvent(sql, {
            merchantId: state.merchantId,
            type: `payment.${state.status}`,
            idempotencyKey: `payment:${state.paymentId}:${state.status}`,
            objectType: 'payment',
            objectId: state.paymentId,
            object: { ...renderPayment(record, false, receiptToken && publicUrl ? receiptUrl(publicUrl, receiptToken) : null) },
          });
        await notifyPaymentDecided(sql, state.paymentId);
      });
    },
  };
}
