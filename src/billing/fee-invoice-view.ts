import { minorToMajorNumber } from '../shared/money';
import { apiTimestamp } from '../shared/timestamps';
import type { FeeInvoiceRecord } from './fee-invoice-record';

/** A fee invoice as the API shows it: amounts in major units. */
export function renderFeeInvoice(invoice: FeeInvoiceRecord) {
  const major = (minor: number) => minorToMajorNumber(minor, invoice.currency);
  return {
    id: invoice.id,
    object: 'fee_invoice' as const,
    number: invoice.number,
    merchant_id: invoice.merchantId,
    merchant_name: invoice.merchantName,
    period: invoice.period,
    period_start: apiTimestamp(invoice.periodStart),
    period_end: apiTimestamp(invoice.periodEnd),
    currency: invoice.currency,
    status: invoice.status,
    collection_method: 'deducted_from_balance' as const,
    lines: invoice.lines.map((line) => ({
      kind: line.kind,
      description: line.description,
      quantity: line.quantity,
      volume: line.volumeMinor === null ? null : major(line.volumeMinor),
      fee_percent_bps: line.feePercentBps,
      fee_fixed: line.feeFixedMinor === null ? null : major(line.feeFixedMinor),
      unit_description: line.unitDescription,
      amount: major(line.amountMinor),
    })),
    processing_fees: major(invoice.processingFeesMinor),
    dispute_fees: major(invoice.disputeFeesMinor),
    total: major(invoice.totalMinor),
    amount_paid: major(invoice.totalMinor),
    amount_due: 0,
    ledger_entry_id: invoice.ledgerEntryId,
    receipt_url: `/v1/billing/invoices/${invoice.id}/receipt`,
    created_at: apiTimestamp(invoice.createdAt),
  };
}

export type FeeInvoiceJson = ReturnType<typeof renderFeeInvoice>;
