import { ledgerAccounts } from '../ledger/ledger-accounts';
import type { JournalEntryInput, PostingInput } from '../ledger/ledger-service';
import type { PayoutRecord } from './payout-repository';

/** What every payout entry needs to know about its payout. */
export interface PayoutMoney {
  payoutId: string;
  merchantId: string;
  amountMinor: number;
  feeMinor: number;
  currency: string;
  network: string;
}

export function payoutMoney(payout: PayoutRecord): PayoutMoney {
  const { id: payoutId, merchantId, amountMinor, feeMinor, currency, network } = payout;
  return { payoutId, merchantId, amountMinor, feeMinor, currency, network };
}

export type PayoutLedgerStep = 'created' | 'paid' | 'failed' | 'canceled' | 'returned';

/** The ledger key of each step: one entry per step per payout, ever. */
export function payoutEntryKey(payoutId: string, step: PayoutLedgerStep): string {
  return step === 'created' ? `payout:${payoutId}` : `payout:${payoutId}:${step}`;
}

function available(payout: PayoutMoney, amountMinor: number): PostingInput {
  return {
    account: ledgerAccounts.merchantAvailable(payout.merchantId),
    merchantId: payout.merchantId,
    currency: payout.currency,
    amountMinor,
  };
}

function platform(account: string, payout: PayoutMoney, amountMinor: number): PostingInput[] {
  return amountMinor === 0 ? [] : [{ account, currency: payout.currency, amountMinor }];
}

/**
 * The entry of one step of a payout. Money leaves the available balance when the payout is made
 * (amount and fee), waits in transit until the bank pays it, and comes back only by new entries:
 * a failure or cancel before payment returns the amount and the fee (the bank never moved it), a
 * return after payment returns the amount (the fee paid for a transfer that happened).
 */
export function payoutEntry(payout: PayoutMoney, step: PayoutLedgerStep): JournalEntryInput {
  const { payoutId, amountMinor: amount, feeMinor: fee } = payout;
  const base = {
    idempotencyKey: payoutEntryKey(payoutId, step),
    merchantId: payout.merchantId,
    sourceType: 'payout' as const,
    sourceId: payoutId,
  };
  const inTransit = ledgerAccounts.payoutsInTransit();
  const bank = ledgerAccounts.payoutBank(payout.network);
  const feeRevenue = ledgerAccounts.payoutFeeRevenue();
  switch (step) {
    case 'created':
      return {
        ...base,
        description: `Payout ${payoutId} to the bank`,
        postings: [available(payout, -(amount + fee)), ...platform(inTransit, payout, amount), ...platform(feeRevenue, payout, fee)],
        balanceTransaction: { type: 'payout', currency: payout.currency, amountMinor: -amount, feeMinor: fee },
      };
    case 'paid':
      return {
        ...base,
        description: `Payout ${payoutId} paid by the bank`,
        postings: [...platform(inTransit, payout, -amount), ...platform(bank, payout, amount)],
      };
    case 'failed':
    case 'canceled':
      return {
        ...base,
        description: `Payout ${payoutId} ${step}: amount and fee back to available`,
        postings: [available(payout, amount + fee), ...platform(inTransit, payout, -amount), ...platform(feeRevenue, payout, -fee)],
        balanceTransaction: {
          type: step === 'failed' ? 'payout_failure' : 'payout_cancel',
          currency: payout.currency,
          amountMinor: amount,
          feeMinor: -fee,
        },
      };
    case 'returned':
      return {
        ...base,
        description: `Payout ${payoutId} returned by the bank: amount back to available`,
        postings: [available(payout, amount), ...platform(bank, payout, -amount)],
        balanceTransaction: { type: 'payout_failure', currency: payout.currency, amountMinor: amount, feeMinor: 0 },
      };
  }
}
