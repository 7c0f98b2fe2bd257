import type { Sql } from '../db/sql';
import { apiTimestamp } from '../shared/timestamps';

export interface TrialBalanceAccount {
  account: string;
  currency: string;
  debits_minor: number;
  credits_minor: number;
  balance_minor: number;
  stored_balance_minor: number | null;
  matches_stored: boolean;
}

export interface TrialBalance {
  object: 'trial_balance';
  as_of: string;
  balanced: boolean;
  currencies: { currency: string; debits_minor: number; credits_minor: number; balanced: boolean }[];
  unbalanced_entries: { entry_id: string; currency: string; sum_minor: number }[];
  accounts: TrialBalanceAccount[];
  account_mismatches: TrialBalanceAccount[];
  merchants_checked: number;
  balance_transaction_mismatches: { merchant_id: string; currency: string; ledger_minor: number; balance_transactions_minor: number }[];
  negative_available: { merchant_id: string; currency: string; amount_minor: number }[];
}

type Row = Record<string, string | number | null>;
const int = (value: unknown) => Number(value ?? 0);

/**
 * Recomputes the books from the postings and checks them against what the database keeps:
 * debits equal credits per currency, every entry balances, every stored account balance equals
 * the sum of its postings, and each merchant's pending + available equals the sum of their
 * balance transactions. Run it inside one snapshot (see `inSnapshot`) so concurrent postings
 * cannot show as differences.
 */
export async function computeTrialBalance(sql: Sql, asOf: Date): Promise<TrialBalance> {
  const accountRows = await sql.query<Row>(
    `with computed as (
       select account, currency, sum(greatest(-amount_minor, 0)) as debits, sum(greatest(amount_minor, 0)) as credits, sum(amount_minor) as balance
         from ledger_postings group by account, currency)
     select coalesce(c.account, b.account) as account, coalesce(c.currency, b.currency) as currency,
            coalesce(c.debits, 0) as debits, coalesce(c.credits, 0) as credits, coalesce(c.balance, 0) as balance,
            b.balance_minor as stored_balance, b.debits_minor as stored_debits, b.credits_minor as stored_credits
       from computed c full outer join ledger_account_balances b on b.account = c.account and b.currency = c.currency
      order by 1, 2`);
  const accounts: TrialBalanceAccount[] = accountRows.map((row) => ({
    account: String(row.account),
    currency: String(row.currency),
    debits_minor: int(row.debits),
    credits_minor: int(row.credits),
    balance_minor: int(row.balance),
    stored_balance_minor: row.stored_balance === null ? null : int(row.stored_balance),
    matches_stored: row.stored_balance !== null && int(row.stored_balance) === int(row.balance)
      && int(row.stored_debits) === int(row.debits) && int(row.stored_credits) === int(row.credits),
  }));

  const totals = new Map<string, { debits: number; credits: number }>();
  for (const account of accounts) {
    const total = totals.get(account.currency) ?? { debits: 0, credits: 0 };
    total.debits += account.debits_minor;
    total.credits += account.credits_minor;
    totals.set(account.currency, total);
  }
  const currencies = [...totals].map(([currency, total]) => ({
    currency, debits_minor: total.debits, credits_minor: total.credits, balanced: total.debits === total.credits,
  }));

  const unbalanced = await sql.query<Row>(
    `select entry_id, currency, sum(amount_minor) as total from ledger_postings group by entry_id, currency having sum(amount_minor) <> 0 limit 100`);
  const merchantCount = await sql.query<Row>(`select count(distinct merchant_id) as n from ledger_account_balances where merchant_id is not null`);
  const transactionMismatches = await sql.query<Row>(
    `with from_transactions as (
       select merchant_id, currency, sum(net_minor) as total from balance_transactions group by merchant_id, currency),
     from_ledger as (
       select merchant_id, currency, sum(balance_minor) as total from ledger_account_balances
        where merchant_id is not null and account in ('merchant:' || merchant_id || ':pending', 'merchant:' || merchant_id || ':available')
        group by merchant_id, currency)
     select coalesce(t.merchant_id, l.merchant_id) as merchant_id, coalesce(t.currency, l.currency) as currency,
            coalesce(l.total, 0) as ledger, coalesce(t.total, 0) as transactions
       from from_transactions t full outer join from_ledger l on l.merchant_id = t.merchant_id and l.currency = t.currency
      where coalesce(l.total, 0) <> coalesce(t.total, 0)
      order by 1, 2 limit 100`);
  const negative = await sql.query<Row>(
    `select merchant_id, currency, balance_minor from ledger_account_balances
      where merchant_id is not null and account = 'merchant:' || merchant_id || ':available' and balance_minor < 0
      order by balance_minor limit 1000`);

  const account_mismatches = accounts.filter((account) => !account.matches_stored);
  const unbalanced_entries = unbalanced.map((row) => ({ entry_id: String(row.entry_id), currency: String(row.currency), sum_minor: int(row.total) }));
  const balance_transaction_mismatches = transactionMismatches.map((row) => ({
    merchant_id: String(row.merchant_id), currency: String(row.currency), ledger_minor: int(row.ledger), balance_transactions_minor: int(row.transactions),
  }));
  return {
    object: 'trial_balance',
    as_of: apiTimestamp(asOf),
    balanced: currencies.every((currency) => currency.balanced) && unbalanced_entries.length === 0
      && account_mismatches.length === 0 && balance_transaction_mismatches.length === 0,
    currencies,
    unbalanced_entries,
    accounts,
    account_mismatches,
    merchants_checked: int(merchantCount[0]?.n),
    balance_transaction_mismatches,
    negative_available: negative.map((row) => ({ merchant_id: String(row.merchant_id), currency: String(row.currency), amount_minor: int(row.balance_minor) })),
  };
}
