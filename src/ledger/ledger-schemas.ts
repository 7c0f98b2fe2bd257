import { z } from 'zod';
import { queryInstant } from '../api/common-schemas';
import { MERCHANT_ACCOUNT_KINDS } from './ledger-accounts';

const instant = queryInstant;

const createdRange = {
  'created[gte]': instant.optional().describe('Created at or after (Unix seconds or ISO 8601).'),
  'created[gt]': instant.optional().describe('Created after.'),
  'created[lte]': instant.optional().describe('Created at or before.'),
  'created[lt]': instant.optional().describe('Created before.'),
};
const page = {
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().max(255).optional().describe('Cursor: the last id of the previous page.'),
};

export const BALANCE_TRANSACTION_TYPES = [
  'charge',
  'refund',
  'dispute',
  'dispute_reversal',
  'adjustment',
  'payout',
  'payout_failure',
  'payout_cancel',
] as const;

export const listBalanceTransactionsQuery = z.strictObject({
  type: z.enum(BALANCE_TRANSACTION_TYPES).optional().describe('Only transactions of this type.'),
  source: z.string().max(255).optional().describe('Only the transactions of this object (pay_..., re_..., dp_...).'),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/)
    .transform((code) => code.toUpperCase())
    .optional(),
  status: z.enum(['pending', 'available']).optional(),
  ...createdRange,
  ...page,
});
export type ListBalanceTransactionsQuery = z.output<typeof listBalanceTransactionsQuery>;

export const listLedgerEntriesQuery = z.strictObject({
  source_type: z.enum(['payment', 'refund', 'dispute', 'payout', 'fee_invoice', 'settlement']).optional(),
  source: z.string().max(255).optional().describe('Only the entries of this object.'),
  ...createdRange,
  ...page,
});
export type ListLedgerEntriesQuery = z.output<typeof listLedgerEntriesQuery>;

const money = z.object({ amount: z.number(), currency: z.string() });

export const balanceSchema = z
  .object({
    object: z.literal('balance'),
    livemode: z.boolean(),
    available: z.array(money).describe('Funds that can be paid out or drawn on by refunds and disputes; may be negative.'),
    pending: z.array(money).describe('Captured funds, net of fees, waiting for their settlement day.'),
    reserved: z.array(money).describe('Funds held for open disputes.'),
    fees_payable: z.array(money).describe('Fees withheld this month and not yet invoiced.'),
  })
  .describe(`A merchant's balance per currency (${MERCHANT_ACCOUNT_KINDS.join(', ')}).`);

export const balanceTransactionSchema = z
  .object({
    id: z.string(),
    object: z.literal('balance_transaction'),
    type: z.enum(BALANCE_TRANSACTION_TYPES),
    source: z.string(),
    amount: z.number().describe('Gross, in major units; negative for money leaving the balance.'),
    fee: z.number(),
    net: z.number().describe('amount − fee.'),
    currency: z.string(),
    status: z.enum(['pending', 'available']),
    available_on: z.string().describe('When the net becomes available (UTC midnight of the settlement day).'),
    description: z.string(),
    created: z.string(),
  })
  .describe("One movement of a merchant's balance.");
export const balanceTransactionListSchema = z.object({
  object: z.literal('list'),
  data: z.array(balanceTransactionSchema),
  has_more: z.boolean(),
});

export const ledgerEntrySchema = z
  .object({
    id: z.string(),
    object: z.literal('ledger_entry'),
    source_type: z.string(),
    source: z.string(),
    description: z.string(),
    idempotency_key: z.string(),
    created: z.string(),
    postings: z.array(z.object({ account: z.string(), currency: z.string(), amount: z.number(), amount_minor: z.number().int() })),
  })
  .describe('A journal entry: postings that sum to zero per currency. Positive amounts credit the account.');
export const ledgerEntryListSchema = z.object({ object: z.literal('list'), data: z.array(ledgerEntrySchema), has_more: z.boolean() });

const accountRow = z.object({
  account: z.string(),
  currency: z.string(),
  debits_minor: z.number().int(),
  credits_minor: z.number().int(),
  balance_minor: z.number().int(),
  stored_balance_minor: z.number().int().nullable(),
  matches_stored: z
    .boolean()
    .nullable()
    .describe('Whether the stored balance equals the sum of the postings; null when not recomputed (verify=balances).'),
});
export const trialBalanceQuery = z.strictObject({
  verify: z
    .enum(['balances', 'postings'])
    .default('balances')
    .describe(
      "`balances` (default): from the balances the database keeps with every posting, in time independent of the ledger's size. `postings`: recomputes every account, entry and merchant from the postings and balance transactions on one snapshot: an audit whose cost grows with the ledger (seconds at millions of postings).",
    ),
});
export const trialBalanceSchema = z
  .object({
    object: z.literal('trial_balance'),
    as_of: z.string(),
    verified: z.enum(['balances', 'postings']).describe('What this answer was computed from (the `verify` parameter).'),
    balanced: z
      .boolean()
      .describe('Every check below passed; with verify=balances, also the latest daily check (`last_check`), when there is one.'),
    currencies: z.array(
      z.object({ currency: z.string(), debits_minor: z.number().int(), credits_minor: z.number().int(), balanced: z.boolean() }),
    ),
    unbalanced_entries: z
      .array(z.object({ entry_id: z.string(), currency: z.string(), sum_minor: z.number().int() }))
      .optional()
      .describe('Only with verify=postings.'),
    accounts: z.array(accountRow),
    account_mismatches: z
      .array(accountRow)
      .optional()
      .describe('Accounts whose stored balance differs from the sum of their postings. Only with verify=postings.'),
    merchants_checked: z.number().int(),
    balance_transaction_mismatches: z
      .array(
        z.object({
          merchant_id: z.string(),
          currency: z.string(),
          ledger_minor: z.number().int(),
          balance_transactions_minor: z.number().int(),
        }),
      )
      .optional()
      .describe('Merchants whose pending + available differ from the sum of their balance transactions. Only with verify=postings.'),
    negative_available: z
      .array(z.object({ merchant_id: z.string(), currency: z.string(), amount_minor: z.number().int() }))
      .describe(
        'Merchants whose available balance is below zero (refunds and disputes drew more than had settled). Reported, not an error.',
      ),
    last_check: z
      .object({ id: z.string(), as_of: z.string(), balanced: z.boolean() })
      .nullable()
      .optional()
      .describe(
        'With verify=balances: the latest daily ledger check (the full recomputation, GET /v1/ledger/checks); null before the first.',
      ),
  })
  .describe(
    'Proof that the books close: debits equal credits, every entry balances, and every stored balance equals the sum of its postings.',
  );

export const listLedgerChecksQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(30) });
export const ledgerCheckSchema = z
  .object({
    id: z.string(),
    object: z.literal('ledger_check'),
    as_of: z.string(),
    balanced: z.boolean(),
    summary: z.object({
      currencies: z.number().int(),
      accounts: z.number().int(),
      account_mismatches: z.number().int(),
      unbalanced_entries: z.number().int(),
      balance_transaction_mismatches: z.number().int(),
      negative_available: z.number().int(),
      merchants_checked: z.number().int(),
    }),
    created: z.string(),
  })
  .describe('One run of the daily ledger check.');
export const ledgerCheckListSchema = z.object({ object: z.literal('list'), data: z.array(ledgerCheckSchema) });
