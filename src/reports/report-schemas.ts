import { z } from 'zod';
import { ISO_DAY_OR_TIMESTAMP_PATTERN } from '../api/documented-formats';
import { MAX_REPORT_DAYS } from './report-range';
import { TRANSACTION_COLUMNS } from './transaction-report-view';

const bound = z.string().max(40).meta({ pattern: ISO_DAY_OR_TIMESTAMP_PATTERN });

// from and to are optional to the parser, so that a missing one is answered by the report's own
// "Both from and to are required"; the document still lists them as required, which they are.
export const transactionReportQuery = z
  .strictObject({
    from: bound
      .optional()
      .describe(
        'Start, inclusive: a UTC day (2026-11-01) or an ISO 8601 timestamp with a time zone (2026-11-01T09:30:00Z). Not after today (UTC).',
      ),
    to: bound
      .optional()
      .describe(
        `End, inclusive: a UTC day (the whole day) or a timestamp (the whole second, or minute, it names). Not after today (UTC); at most ${MAX_REPORT_DAYS} days after from.`,
      ),
    format: z.enum(['json', 'csv']).default('json').describe('json (default) or csv, a download of the rows alone.'),
  })
  .meta({ required: ['from', 'to'] });
export type TransactionReportQuery = z.output<typeof transactionReportQuery>;

export const transactionReportRowSchema = z
  .object({
    id: z.string(),
    created: z.string().describe('When the payment was created, ISO 8601 UTC.'),
    status: z.string().describe('As the payment shows it, including refunded.'),
    amount: z.number(),
    amount_captured: z.number(),
    amount_refunded: z.number(),
    fee: z.number(),
    net: z.number().describe('amount_captured − amount_refunded − fee.'),
    currency: z.string(),
    capture_method: z.enum(['automatic', 'manual']),
    description: z.string().nullable(),
    gateway_reference: z.string().nullable(),
    failure_code: z.string().nullable(),
  })
  .describe('One payment created in the period; amounts in major units.');

export const transactionReportTotalSchema = z
  .object({
    status: z.string(),
    currency: z.string(),
    count: z.number().int(),
    amount: z.number(),
    amount_captured: z.number(),
    amount_refunded: z.number(),
    fee: z.number(),
    net: z.number(),
  })
  .describe('The payments of one status in one currency, summed.');

export const transactionReportSchema = z
  .object({
    object: z.literal('report'),
    type: z.literal('transactions'),
    from: z.string(),
    to: z.string(),
    totals: z.array(transactionReportTotalSchema).describe('By currency, then status.'),
    data: z.array(transactionReportRowSchema).describe('Oldest first.'),
  })
  .describe('A transaction report.');

export const TRANSACTION_CSV_DESCRIPTION =
  `RFC 4180, UTF-8, CRLF, with a header: ${TRANSACTION_COLUMNS.join(',')}. Amounts are fixed decimals in the currency's ` +
  "exponent (100.00; JPY 500). Text starting with = + - or @ is prefixed with ' so that spreadsheets do not run it as a formula.";
