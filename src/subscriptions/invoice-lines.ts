/**
 * One line of a subscription invoice as stored (invoices.lines, jsonb). Pure data: the workflow
 * bundle imports this file.
 */
export interface InvoiceLine {
  /** `subscription`: the plan for a period; `proration`: credit (negative) or charge for part of a period after a plan change. */
  type: 'subscription' | 'proration';
  description: string;
  /** Signed, in minor units of the invoice's currency. */
  amountMinor: number;
  planId: string;
  periodStart: string;
  periodEnd: string;
}
