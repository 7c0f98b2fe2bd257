import type { FeeSchedule } from '../payments/payment-state';
import { formatMinor } from '../shared/money';
import type { DisputeFeeGroup, WithheldFeeGroup } from './fee-invoice-repository';
import type { FeeInvoiceLine } from './fee-invoice-record';

/** One currency's invoice before it is numbered and stored. */
export interface FeeInvoiceDraft {
  currency: string;
  processingFeesMinor: number;
  disputeFeesMinor: number;
  totalMinor: number;
  lines: FeeInvoiceLine[];
}

/** "2.90% + 0.30": the pricing as a merchant's contract states it. */
export function describePricing(pricing: FeeSchedule, currency: string): string {
  const percent = `${Math.floor(pricing.percentBps / 100)}.${String(pricing.percentBps % 100).padStart(2, '0')}%`;
  return `${percent} + ${formatMinor(pricing.fixedMinor, currency)}`;
}

function withheldLine(group: WithheldFeeGroup, pricing: FeeSchedule): Omit<FeeInvoiceLine, 'position'> {
  const base = { quantity: group.quantity, amountMinor: group.amountMinor };
  if (!group.fromCaptures) {
    return {
      ...base,
      kind: 'other_fees',
      description: 'Other fees withheld from your balance',
      volumeMinor: null,
      feePercentBps: null,
      feeFixedMinor: null,
      unitDescription: null,
    };
  }
  if (group.atPricing) {
    return {
      ...base,
      kind: 'processing_fees',
      description: 'Card processing fees',
      volumeMinor: group.volumeMinor,
      feePercentBps: pricing.percentBps,
      feeFixedMinor: pricing.fixedMinor,
      unitDescription: `${describePricing(pricing, group.currency)} per charge`,
    };
  }
  // Charges whose fee the current pricing does not give were priced before it changed: the payment
  // keeps no record of its rate, so the line states the fees exactly as withheld.
  return {
    ...base,
    kind: 'processing_fees',
    description: 'Card processing fees at earlier pricing',
    volumeMinor: group.volumeMinor,
    feePercentBps: null,
    feeFixedMinor: null,
    unitDescription: 'as priced at each charge',
  };
}

function disputeLine(group: DisputeFeeGroup): Omit<FeeInvoiceLine, 'position'> {
  const uniform = group.minFeeMinor === group.maxFeeMinor;
  return {
    kind: 'dispute_fees',
    description: 'Dispute fees',
    quantity: group.quantity,
    volumeMinor: null,
    amountMinor: group.amountMinor,
    feePercentBps: uniform ? 0 : null,
    feeFixedMinor: uniform ? group.minFeeMinor : null,
    unitDescription: uniform ? `${formatMinor(group.minFeeMinor, group.currency)} per dispute` : 'as charged per dispute',
  };
}

/**
 * One draft per currency with fees: processing lines (at the current pricing, then any at earlier
 * pricing), other withheld fees, then dispute fees. The totals are the sums of the lines, which
 * are the sums of the ledger's postings: nothing is recomputed, so nothing can drift by a cent.
 */
export function draftFeeInvoices(withheld: WithheldFeeGroup[], disputes: DisputeFeeGroup[], pricing: FeeSchedule): FeeInvoiceDraft[] {
  const currencies = [...new Set([...withheld.map((group) => group.currency), ...disputes.map((group) => group.currency)])].sort();
  return currencies.map((currency) => {
    const order = (group: WithheldFeeGroup) => (group.fromCaptures ? (group.atPricing ? 0 : 1) : 2);
    const lines = [
      ...withheld
        .filter((group) => group.currency === currency)
        .sort((a, b) => order(a) - order(b))
        .map((group) => withheldLine(group, pricing)),
      ...disputes.filter((group) => group.currency === currency).map(disputeLine),
    ].map((line, index): FeeInvoiceLine => ({ ...line, position: index + 1 }));
    const processingFeesMinor = lines.filter((line) => line.kind !== 'dispute_fees').reduce((sum, line) => sum + line.amountMinor, 0);
    const disputeFeesMinor = lines.filter((line) => line.kind === 'dispute_fees').reduce((sum, line) => sum + line.amountMinor, 0);
    return { currency, processingFeesMinor, disputeFeesMinor, totalMinor: processingFeesMinor + disputeFeesMinor, lines };
  });
}
