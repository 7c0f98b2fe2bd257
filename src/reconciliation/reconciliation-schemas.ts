import { z } from 'zod';
import { ISO_DAY_PATTERN } from '../api/documented-formats';
import { RECONCILIATION_CATEGORIES } from './reconcile';
import { isIsoDay } from '../shared/utc-days';
import { SETTLEMENT_HEADER } from './settlement-csv';
import { RECONCILIATION_KINDS } from './reconciliation-record';

const isoDay = () => z.string().max(10).refine(isIsoDay, 'must be a date written YYYY-MM-DD').meta({ pattern: ISO_DAY_PATTERN });
const periodStart = () =>
  isoDay().optional().describe('First UTC day whose ledger entries are reconciled; defaults to the earliest date in the file.');
const periodEnd = () => isoDay().optional().describe('Last UTC day (inclusive); defaults to the latest date in the file.');
const kind = () =>
  z
    .enum(RECONCILIATION_KINDS)
    .optional()
    .describe(
      "What the file is: `settlement` (the default), a gateway's settlement of charges and refunds, reconciled against your captures and refunds; " +
        "or `payouts`, a bank's statement of payouts, reconciled against your payouts paid (negative) and returned (positive), by the payout's bank reference.",
    );

export const FILE_DESCRIPTION =
  `The settlement file: CSV with the header \`${SETTLEMENT_HEADER}\`, one row per charge or refund the gateway settled. ` +
  'Amounts are decimals in major units with no more decimals than the currency has (refunds negative); dates are YYYY-MM-DD; each reference appears once. ' +
  "For kind `payouts`, a bank's statement in the same format: one row per payout paid out (negative) or returned (positive), under the bank's transfer reference, which may appear once of each sign.";

export const createReconciliationBody = z.strictObject({
  file: z.string().describe(FILE_DESCRIPTION),
  kind: kind(),
  period_start: periodStart(),
  period_end: periodEnd(),
});
export type CreateReconciliationBody = z.output<typeof createReconciliationBody>;

/** For text/csv uploads, whose body is the file alone. */
export const createReconciliationQuery = z.strictObject({
  kind: kind(),
  period_start: periodStart(),
  period_end: periodEnd(),
});

export const reconciliationIdParams = z.strictObject({ id: z.string().max(255).describe('The reconciliation id, rec_...') });

export const listReconciliationsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().max(255).optional().describe('Cursor: the last id of the previous page.'),
});

const summarySchema = z
  .object({
    matched: z.number(),
    amount_mismatch: z.number(),
    missing_in_ledger: z.number(),
    missing_in_settlement: z.number(),
  })
  .describe('How many items fell in each category.');

export const reconciliationItemSchema = z
  .object({
    id: z.string(),
    object: z.literal('reconciliation_item'),
    category: z.enum(RECONCILIATION_CATEGORIES),
    gateway_reference: z
      .string()
      .nullable()
      .describe("The gateway's reference of the charge or refund, or the bank's of the payout transfer."),
    settlement: z
      .object({ line: z.number(), amount: z.number(), currency: z.string(), date: z.string() })
      .nullable()
      .describe('The file row; null when only the ledger has the item.'),
    ledger: z
      .object({
        entry_id: z.string(),
        source_type: z.string(),
        source_id: z.string(),
        merchant_id: z.string().nullable(),
        amount: z.number(),
        currency: z.string(),
        posted_at: z.string(),
      })
      .nullable()
      .describe(
        'The ledger entry, with the amount that moved through the gateway (refunds negative) or the bank (payouts paid negative, returned positive); null when only the file has the item.',
      ),
  })
  .describe(
    'One file row or ledger entry, classified once: matched, amount_mismatch (both sides shown), missing_in_ledger or missing_in_settlement.',
  );

const runFields = {
  id: z.string(),
  object: z.literal('reconciliation'),
  status: z.enum(['reconciled', 'discrepancies_found']),
  kind: z
    .enum(RECONCILIATION_KINDS)
    .describe(
      "`settlement`: a gateway's settlement against captures and refunds; `payouts`: a bank's statement against payouts paid and returned.",
    ),
  source: z.enum(['upload', 'gateway_report', 'bank_statement']),
  gateway: z
    .string()
    .nullable()
    .describe(
      'The gateway (or, for a bank statement, the bank network) whose report was reconciled; null for uploads, which cover every one.',
    ),
  gateway_account: z
    .string()
    .nullable()
    .describe(
      "The gateway account whose payouts were reconciled (a Stripe account's payouts against Stripe's own records); null for every other run.",
    ),
  merchant_id: z.string().nullable().describe('Null for a platform-wide run.'),
  period_start: z.string(),
  period_end: z.string(),
  file_rows: z.number(),
  summary: summarySchema,
  created_at: z.string(),
};

export const reconciliationSchema = z
  .object({ ...runFields, items: z.array(reconciliationItemSchema) })
  .describe('A reconciliation run with its items.');
export const reconciliationListSchema = z.object({
  object: z.literal('list'),
  data: z.array(z.object(runFields).describe('A reconciliation run; retrieve it for its items.')),
  has_more: z.boolean(),
});
