import { z } from 'zod';
import { PERIOD_PATTERN } from './billing-period';
import { FEE_INVOICE_LINE_KINDS } from './fee-invoice-record';

const FEE_INVOICE_ID = /^fi_[0-9A-Za-z]{22}$/;
const period = z.string().regex(PERIOD_PATTERN, 'must be a month written YYYY-MM, such as 2026-11');
const feeInvoiceId = z.string().regex(FEE_INVOICE_ID, 'must be a fee invoice id, fi_ followed by 22 letters and digits');

export const feeInvoiceIdParams = z.strictObject({ id: feeInvoiceId.describe('The fee invoice id, fi_...') });

export const listFeeInvoicesQuery = z.strictObject({
  period: period.optional().describe('Only the invoices of this month (UTC), YYYY-MM.'),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: feeInvoiceId.optional().describe('Cursor: the last id of the previous page.'),
});

const feeInvoiceLineSchema = z
  .object({
    kind: z
      .enum(FEE_INVOICE_LINE_KINDS)
      .describe('processing_fees (withheld at capture), dispute_fees, or other_fees (withheld by other entries).'),
    description: z.string(),
    quantity: z.number().int().describe('Charges or disputes the line counts.'),
    volume: z.number().nullable().describe('Captured volume the processing fees were charged on, in major units.'),
    fee_percent_bps: z
      .number()
      .int()
      .nullable()
      .describe('The percentage part of the pricing in basis points (290 = 2.90%), when one pricing explains the line.'),
    fee_fixed: z.number().nullable().describe('The fixed part per item, in major units, when one pricing explains the line.'),
    unit_description: z.string().nullable().describe('The pricing as written on the invoice, e.g. "2.90% + 0.30 per charge".'),
    amount: z.number(),
  })
  .describe('One itemized line of a fee invoice.');

export const feeInvoiceSchema = z
  .object({
    id: z.string(),
    object: z.literal('fee_invoice'),
    number: z.string().describe('FI-<period>-<sequence>, gapless within a month.'),
    merchant_id: z.string(),
    merchant_name: z.string().describe("The merchant's name when the invoice was issued."),
    period: z.string().describe('The invoiced month, YYYY-MM (UTC).'),
    period_start: z.string().describe('Start of the invoiced month, inclusive.'),
    period_end: z.string().describe('Start of the following month: the period ends just before it.'),
    currency: z.string(),
    status: z.literal('paid').describe('Always paid: the fees were deducted from the balance as they were incurred.'),
    collection_method: z.literal('deducted_from_balance'),
    lines: z.array(feeInvoiceLineSchema),
    processing_fees: z
      .number()
      .describe("Fees withheld into fees payable during the month; the invoice moves them to the platform's revenue."),
    dispute_fees: z.number().describe('Dispute fees charged to the available balance when each dispute opened.'),
    total: z.number().describe('The sum of the lines.'),
    amount_paid: z.number(),
    amount_due: z.number(),
    ledger_entry_id: z.string().nullable().describe('The journal entry moving the processing fees to revenue; null when there were none.'),
    receipt_url: z.string().describe('A printable HTML receipt.'),
    created_at: z.string().describe('The date of issue.'),
  })
  .describe('A monthly fee invoice: what the platform charged the merchant for one month in one currency.');

export const feeInvoiceListSchema = z.object({ object: z.literal('list'), data: z.array(feeInvoiceSchema), has_more: z.boolean() });
