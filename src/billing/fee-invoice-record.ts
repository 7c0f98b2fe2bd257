/** A fee invoice as stored: amounts in minor units of `currency`. */
export interface FeeInvoiceRecord {
  id: string;
  number: string;
  merchantId: string;
  /** The merchant's name when the invoice was issued: an issued document does not change with a rename. */
  merchantName: string;
  period: string;
  periodStart: Date;
  periodEnd: Date;
  currency: string;
  status: 'paid';
  /** Fees withheld at capture and moved from fees payable to fee revenue by this invoice. */
  processingFeesMinor: number;
  /** Dispute fees, already charged to the available balance when each dispute opened. */
  disputeFeesMinor: number;
  totalMinor: number;
  ledgerEntryId: string | null;
  /** The date of issue. */
  createdAt: Date;
  lines: FeeInvoiceLine[];
}

export const FEE_INVOICE_LINE_KINDS = ['processing_fees', 'dispute_fees', 'other_fees'] as const;
export type FeeInvoiceLineKind = (typeof FEE_INVOICE_LINE_KINDS)[number];

export interface FeeInvoiceLine {
  position: number;
  kind: FeeInvoiceLineKind;
  description: string;
  quantity: number;
  /** The captured volume the fees were charged on; null where fees are not a share of a volume. */
  volumeMinor: number | null;
  /** The pricing every item of the line was charged at, when one pricing explains them all. */
  feePercentBps: number | null;
  feeFixedMinor: number | null;
  unitDescription: string | null;
  amountMinor: number;
}
