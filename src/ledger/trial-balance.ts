import type { Sql } from '../db/sql';
import { apiTimestamp } from '../shared/timestamps';
import { LedgerCheckRepository } from './ledger-check-repository';
import { LedgerRepository } from './ledger-repository';

export interface TrialBalanceAccount {
  account: string;
  currency: string;
  debits_minor: number;
  credits_minor: number;
  balance_minor: number;
  stored_balance_minor: number | null;
  /** Null when the balances were read, not recomputed (verify=balances). */
  matches_stored: boolean | null;
}

/** What GET /v1/ledger/trial_balance answers: from the stored balances, or (verified) recomputed from the postings. */
export interface TrialBalance {
  object: 'trial_balance';
  as_of: string;
  verified: 'balances' | 'postings';
  balanced: boolean;
  currencies: { currency: string; debits_minor: number; credits_minor: number; balanced: boolean }[];
  accounts: TrialBalanceAccount[];
  merchants_checked: number;
  negative_available: { merchant_id: string; currency: string; amount_minor: number }[];
  unbalanced_entries?: { entry_id: string; currency: string; sum_minor: number }[];
  account_mismatches?: TrialBalanceAccount[];
  balance_transaction_mismatches?: { merchant_id: string; currency: string; ledger_minor: number; balance_transactions_minor: number }[];
  last_check?: { id: string; as_of: string; balanced: boolean } | null;
}

/** The full proof: every account, entry and merchant recomputed from the postings. */
export interface VerifiedTrialBalance extends TrialBalance {
  verified: 'postings';
  unbalanced_entries: NonNullable<TrialBalance['unbalanced_entries']>;
  account_mismatches: TrialBalanceAccount[];
  balance_transaction_mismatches: NonNullable<TrialBalance['balance_transaction_mismatches']>;
}

const int = (value: unknown) => Number(value ?? 0);

/**
 * Recomputes the books from the postings and checks them against what the database keeps:
 * debits equal credits per currency, every entry balances, every stored account balance equals
 * the sum of its postings, and each merchant's pending + available equals the sum of their
 * balance transactions. Run it inside one snapshot (see `inSnapshot`) so concurrent postings
 * cannot show as differences.
 */
export async function computeTrialBalance(sql: Sql, asOf: Date): Promise<VerifiedTrialBalance> {
  const ledger = new LedgerRepository(sql);
  const accountRows = await ledger.accountTotals();
  const accounts: TrialBalanceAccount[] = accountRows.map((row) => ({
    account: String(row.account),
    currency: String(row.currency),
    debits_minor: int(row.debits),
    credits_minor: int(row.credits),
    balance_minor: int(row.balance),
    stored_balance_minor: row.stored_balance === null ? null : int(row.stored_balance),
    matches_stored:
      row.stored_balance !== null &&
      int(row.stored_balance) === int(row.balance) &&
      int(row.stored_debits) === int(row.debits) &&
      int(row.stored_credits) === int(row.credits),
  }));

  const currencies = currencyTotals(accounts);
  const unbalanced = await ledger.unbalancedEntries();
  const merchantsChecked = await ledger.countMerchantsWithBalances();
  const transactionMismatches = await ledger.balanceTransactionMismatches();
  const negative = await ledger.negativeAvailableBalances();

  const account_mismatches = accounts.filter((account) => !account.matches_stored);
  const unbalanced_entries = unbalanced.map((row) => ({
    entry_id: String(row.entry_id),
    currency: String(row.currency),
    sum_minor: int(row.total),
  }));
  const balance_transaction_mismatches = transactionMismatches.map((row) => ({
    merchant_id: String(row.merchant_id),
    currency: String(row.currency),
    ledger_minor: int(row.ledger),
    balance_transactions_minor: int(row.transactions),
  }));
  return {
    object: 'trial_balance',
    as_of: apiTimestamp(asOf),
    verified: 'postings',
    balanced:
      currencies.every((currency) => currency.balanced) &&
      unbalanced_entries.length === 0 &&
      account_mismatches.length === 0 &&
      balance_transaction_mismatches.length === 0,
    currencies,
    unbalanced_entries,
    accounts,
    account_mismatches,
    merchants_checked: merchantsChecked,
    balance_transaction_mismatches,
    negative_available: negative.map(negativeAvailable),
  };
}

/**
 * The trial balance from the balances the posting trigger keeps (per account: debits, credits, balance), in time
 * that depends on the number of accounts, not of postings. Each balance moved in the same statement as its
 * postings, so debits equal credits here exactly when they do in the journal; whether each stored balance still
 * equals its postings is what the full recomputation (`computeTrialBalance`, the daily check) proves.
 */
export async function storedTrialBalance(sql: Sql, asOf: Date): Promise<TrialBalance> {
  const ledger = new LedgerRepository(sql);
  const accounts: TrialBalanceAccount[] = (await ledger.storedAccountBalances()).map((row) => ({
    account: String(row.account),
    currency: String(row.currency),
    debits_minor: int(row.debits_minor),
    credits_minor: int(row.credits_minor),
    balance_minor: int(row.balance_minor),
    stored_balance_minor: int(row.balance_minor),
    matches_stored: null,
  }));
  const currencies = currencyTotals(accounts);
  // The latest daily check is the proof of these balances: a failed one makes this answer unbalanced too.
  const [check] = await new LedgerCheckRepository(sql).listRecent(1);
  const last_check = check ? { id: String(check.id), as_of: apiTimestamp(check.as_of), balanced: Boolean(check.balanced) } : null;
  return {
    object: 'trial_balance',
    as_of: apiTimestamp(asOf),
    verified: 'balances',
    balanced: currencies.every((currency) => currency.balanced) && last_check?.balanced !== false,
    currencies,
    accounts,
    merchants_checked: await ledger.countMerchantsWithBalances(),
    negative_available: (await ledger.negativeAvailableBalances()).map(negativeAvailable),
    last_check,
  };
}

function currencyTotals(accounts: TrialBalanceAccount[]): TrialBalance['currencies'] {
  const totals = new Map<string, { debits: number; credits: number }>();
  for (const account of accounts) {
    const total = totals.get(account.currency) ?? { debits: 0, credits: 0 };
    total.debits += account.debits_minor;
    total.credits += account.credits_minor;
    totals.set(account.currency, total);
  }
  return [...totals].map(([currency, total]) => ({
    currency,
    debits_minor: total.debits,
    credits_minor: total.credits,
    balanced: total.debits === total.credits,
  }));
}

function negativeAvailable(row: Record<string, unknown>) {
  return { merchant_id: String(row.merchant_id), currency: String(row.currency), amount_minor: int(row.balance_minor) };
}
