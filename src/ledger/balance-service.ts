import type { Orm } from '../db/orm';
import { inSnapshot, inTransaction, type Sql } from '../db/sql';
import type { Merchant } from '../merchants/merchant-entities';
import { ApiError } from '../shared/api-error';
import { minorToMajorNumber } from '../shared/money';
import { apiTimestamp } from '../shared/timestamps';
import { merchantAccountKind, type MerchantAccountKind } from './ledger-accounts';
import type { ListBalanceTransactionsQuery, ListLedgerEntriesQuery } from './ledger-schemas';
import { computeTrialBalance, type TrialBalance } from './trial-balance';

type Row = Record<string, any>;
interface Money { amount: number; currency: string }

/** Filters on created_at shared by the lists, with the `?` values they bind. */
function createdFilter(query: { 'created[gte]'?: Date; 'created[gt]'?: Date; 'created[lte]'?: Date; 'created[lt]'?: Date }, column: string, values: unknown[]): string[] {
  const clauses: string[] = [];
  const add = (operator: string, value?: Date) => { if (value) { clauses.push(`${column} ${operator} ?`); values.push(value); } };
  add('>=', query['created[gte]']);
  add('>', query['created[gt]']);
  add('<=', query['created[lte]']);
  add('<', query['created[lt]']);
  return clauses;
}

/** A merchant's money as the ledger holds it: balances, balance transactions and journal entries; and the platform's trial balance. */
export class BalanceService {
  constructor(private readonly deps: { orm: Orm }) {}

  async balance(merchant: Merchant): Promise<Record<string, unknown>> {
    const rows = await this.read((sql) => sql.query<Row>(
      `select account, currency, balance_minor from ledger_account_balances where merchant_id = ? order by currency`, [merchant.id]));
    const byKind: Record<MerchantAccountKind, Money[]> = { available: [], pending: [], reserve: [], fees_payable: [] };
    const currencies = [...new Set(rows.map((row) => String(row.currency)))];
    for (const currency of currencies) {
      for (const kind of Object.keys(byKind) as MerchantAccountKind[]) {
        const row = rows.find((candidate) => candidate.currency === currency && merchantAccountKind(candidate.account) === kind);
        byKind[kind].push({ amount: minorToMajorNumber(Number(row?.balance_minor ?? 0), currency), currency });
      }
    }
    return { object: 'balance', livemode: merchant.livemode, available: byKind.available, pending: byKind.pending, reserved: byKind.reserve, fees_payable: byKind.fees_payable };
  }

  async listBalanceTransactions(merchant: Merchant, query: ListBalanceTransactionsQuery): Promise<{ data: Record<string, unknown>[]; hasMore: boolean }> {
    const values: unknown[] = [merchant.id];
    const where = ['merchant_id = ?'];
    if (query.type) { where.push('type = ?'); values.push(query.type); }
    if (query.source) { where.push('source_id = ?'); values.push(query.source); }
    if (query.currency) { where.push('currency = ?'); values.push(query.currency); }
    if (query.status) { where.push('status = ?'); values.push(query.status); }
    where.push(...createdFilter(query, 'created_at', values));
    const rows = await this.read(async (sql) => {
      await this.applyCursor(sql, 'balance_transactions', merchant, query.starting_after, where, values);
      return sql.query<Row>(`select * from balance_transactions where ${where.join(' and ')} order by created_at desc, id desc limit ?`, [...values, query.limit + 1]);
    });
    return { data: rows.slice(0, query.limit).map(renderBalanceTransaction), hasMore: rows.length > query.limit };
  }

  async listEntries(merchant: Merchant, query: ListLedgerEntriesQuery): Promise<{ data: Record<string, unknown>[]; hasMore: boolean }> {
    const values: unknown[] = [merchant.id];
    const where = ['merchant_id = ?'];
    if (query.source_type) { where.push('source_type = ?'); values.push(query.source_type); }
    if (query.source) { where.push('source_id = ?'); values.push(query.source); }
    where.push(...createdFilter(query, 'created_at', values));
    const { entries, postings } = await this.read(async (sql) => {
      await this.applyCursor(sql, 'ledger_entries', merchant, query.starting_after, where, values);
      const entries = await sql.query<Row>(`select * from ledger_entries where ${where.join(' and ')} order by created_at desc, id desc limit ?`, [...values, query.limit + 1]);
      const ids = entries.slice(0, query.limit).map((entry) => entry.id);
      const postings = ids.length === 0 ? [] : await sql.query<Row>(
        `select entry_id, account, currency, amount_minor from ledger_postings where entry_id = any(?::text[]) order by account, currency`, [ids]);
      return { entries, postings };
    });
    return {
      data: entries.slice(0, query.limit).map((entry) => ({
        id: entry.id,
        object: 'ledger_entry',
        source_type: entry.source_type,
        source: entry.source_id,
        description: entry.description,
        idempotency_key: entry.idempotency_key,
        created: apiTimestamp(entry.created_at),
        postings: postings.filter((posting) => posting.entry_id === entry.id).map((posting) => ({
          account: posting.account,
          currency: posting.currency,
          amount: minorToMajorNumber(Number(posting.amount_minor), posting.currency),
          amount_minor: Number(posting.amount_minor),
        })),
      })),
      hasMore: entries.length > query.limit,
    };
  }

  /** The platform's trial balance, computed on one snapshot. */
  async trialBalance(asOf = new Date()): Promise<TrialBalance> {
    return inSnapshot(this.deps.orm, (sql) => computeTrialBalance(sql, asOf));
  }

  private read<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return inTransaction(this.deps.orm, work);
  }

  /** Keyset pagination after `startingAfter`, which must be one of the merchant's own rows. */
  private async applyCursor(sql: Sql, table: 'balance_transactions' | 'ledger_entries', merchant: Merchant, startingAfter: string | undefined, where: string[], values: unknown[]): Promise<void> {
    if (!startingAfter) return;
    const [cursor] = await sql.query<Row>(`select id from ${table} where id = ? and merchant_id = ?`, [startingAfter, merchant.id]);
    if (!cursor) throw ApiError.badRequest(`No such ${table === 'ledger_entries' ? 'ledger entry' : 'balance transaction'}: ${startingAfter}`, 'resource_missing', 'starting_after');
    // Compared in SQL: timestamps keep microseconds there, which a JavaScript Date would round away.
    where.push(`(created_at, id) < (select created_at, id from ${table} where id = ?)`);
    values.push(startingAfter);
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
