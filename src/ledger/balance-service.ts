import type { Orm } from '../db/orm';
import { inSnapshot, inTransaction, type Sql } from '../db/sql';
import type { Merchant } from '../merchants/merchant-record';
import { apiErrors } from '../shared/api-error';
import { minorToMajorNumber } from '../shared/money';
import { apiTimestamp } from '../shared/timestamps';
import { BalanceTransactionRepository } from './balance-transaction-repository';
import { merchantAccountKind, type MerchantAccountKind } from './ledger-accounts';
import { LedgerRepository } from './ledger-repository';
import type { ListBalanceTransactionsQuery, ListLedgerEntriesQuery } from './ledger-schemas';
import { computeTrialBalance, storedTrialBalance, type TrialBalance } from './trial-balance';

type Row = Record<string, any>;
interface Money {
  amount: number;
  currency: string;
}

/** A merchant's money as the ledger holds it: balances, balance transactions and journal entries; and the platform's trial balance. */
export class BalanceService {
  constructor(private readonly deps: { orm: Orm }) {}

  /**
   * The merchant's balance per currency and kind of account.
   * @throws none
   */
  async balance(merchant: Merchant): Promise<Record<string, unknown>> {
    const rows = await this.read((sql) => new LedgerRepository(sql).merchantAccountBalances(merchant.id));
    const byKind: Record<MerchantAccountKind, Money[]> = { available: [], pending: [], reserve: [], fees_payable: [] };
    const currencies = [...new Set(rows.map((row) => String(row.currency)))];
    for (const currency of currencies) {
      for (const kind of Object.keys(byKind) as MerchantAccountKind[]) {
        const row = rows.find((candidate) => candidate.currency === currency && merchantAccountKind(candidate.account) === kind);
        byKind[kind].push({ amount: minorToMajorNumber(Number(row?.balance_minor ?? 0), currency), currency });
      }
    }
    return {
      object: 'balance',
      livemode: merchant.livemode,
      available: byKind.available,
      pending: byKind.pending,
      reserved: byKind.reserve,
      fees_payable: byKind.fees_payable,
    };
  }

  /**
   * The merchant's balance transactions, newest first.
   * @throws 400 resource_missing (starting_after)
   */
  async listBalanceTransactions(
    merchant: Merchant,
    query: ListBalanceTransactionsQuery,
  ): Promise<{ data: Record<string, unknown>[]; hasMore: boolean }> {
    const page = await this.read(async (sql) => {
      const transactions = new BalanceTransactionRepository(sql);
      if (query.starting_after && !(await transactions.isMerchantTransaction(merchant.id, query.starting_after))) {
        throw apiErrors.noSuch('balance transaction', query.starting_after);
      }
      return transactions.listForMerchant(merchant.id, query, query.limit, query.starting_after);
    });
    return { data: page.data.map(renderBalanceTransaction), hasMore: page.hasMore };
  }

  /**
   * The merchant's journal entries with their postings, newest first.
   * @throws 400 resource_missing (starting_after)
   */
  async listEntries(merchant: Merchant, query: ListLedgerEntriesQuery): Promise<{ data: Record<string, unknown>[]; hasMore: boolean }> {
    const { entries, postings } = await this.read(async (sql) => {
      const ledger = new LedgerRepository(sql);
      if (query.starting_after && !(await ledger.isMerchantEntry(merchant.id, query.starting_after))) {
        throw apiErrors.noSuch('ledger entry', query.starting_after);
      }
      const entries = await ledger.listMerchantEntries(merchant.id, query, query.limit, query.starting_after);
      return { entries, postings: await ledger.postingsOfEntries(entries.data.map((entry) => entry.id)) };
    });
    return {
      data: entries.data.map((entry) => ({
        id: entry.id,
        object: 'ledger_entry',
        source_type: entry.source_type,
        source: entry.source_id,
        description: entry.description,
        idempotency_key: entry.idempotency_key,
        created: apiTimestamp(entry.created_at),
        postings: postings
          .filter((posting) => posting.entry_id === entry.id)
          .map((posting) => ({
            account: posting.account,
            currency: posting.currency,
            amount: minorToMajorNumber(Number(posting.amount_minor), posting.currency),
            amount_minor: Number(posting.amount_minor),
          })),
      })),
      hasMore: entries.hasMore,
    };
  }

  /**
   * The platform's trial balance on one snapshot: from the stored balances, or recomputed from every posting.
   * @throws none
   */
  async trialBalance(verify: 'balances' | 'postings' = 'postings', asOf = new Date()): Promise<TrialBalance> {
    return inSnapshot(this.deps.orm, (sql) => (verify === 'postings' ? computeTrialBalance(sql, asOf) : storedTrialBalance(sql, asOf)));
  }

  private read<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return inTransaction(this.deps.orm, work);
  }
}

export function renderBalanceTransaction(row: Row): Record<string, unknown> {
  const currency = String(row.currency);
  return {
    id: row.id,
    object: 'balance_transaction',
    type: row.type,
    source: row.source_id,
    amount: minorToMajorNumber(Number(row.amount_minor), currency),
    fee: minorToMajorNumber(Number(row.fee_minor), currency),
    net: minorToMajorNumber(Number(row.net_minor), currency),
    currency,
    status: row.status,
    available_on: apiTimestamp(row.available_on),
    description: row.description,
    created: apiTimestamp(row.created_at),
  };
}
