import { selectNewestFirst, type Page, type SqlCondition } from '../db/pagination';
import type { Sql } from '../db/sql';
import { newId } from '../shared/ids';

type Row = Record<string, any>;
/** A row of the trial balance's reads: bigint and numeric sums arrive as strings. */
export type TrialBalanceRow = Record<string, string | number | null>;

/** The created_at bounds the lists filter on. */
export interface CreatedRange {
  'created[gte]'?: Date;
  'created[gt]'?: Date;
  'created[lte]'?: Date;
  'created[lt]'?: Date;
}

/** Conditions on created_at shared by the lists, with the `?` values they bind. */
export function createdConditions(range: CreatedRange, column: string): SqlCondition[] {
  const conditions: SqlCondition[] = [];
  const add = (operator: string, value?: Date) => {
    if (value) conditions.push([`${column} ${operator} ?`, value]);
  };
  add('>=', range['created[gte]']);
  add('>', range['created[gt]']);
  add('<=', range['created[lte]']);
  add('<', range['created[lt]']);
  return conditions;
}

/** A journal entry ready to write: balanced, hashed, its postings in the order they lock their balances. */
export interface NewJournalEntry {
  id: string;
  idempotencyKey: string;
  contentHash: string;
  merchantId: string | null;
  sourceType: string;
  sourceId: string;
  description: string;
  postings: { account: string; merchantId?: string | null; currency: string; amountMinor: number }[];
  balanceTransaction?: NewBalanceTransaction;
}

/** The balance transaction written with an entry, only when the entry itself is new. */
export interface NewBalanceTransaction {
  merchantId: string;
  type: string;
  currency: string;
  amountMinor: number;
  feeMinor: number;
  netMinor: number;
  /** Pending until the merchant's settlement day (charges); available at once otherwise. */
  pending: boolean;
  /** Days until available when the merchant has no settlement delay of its own. */
  defaultSettlementDelayDays: number;
}

/** The list's filters, named as the API names them. */
export interface LedgerEntryFilter extends CreatedRange {
  source_type?: string;
  /** The source object's id (source_id). */
  source?: string;
}

/** Every read and write of the journal (ledger_entries, ledger_postings) and of the account balances the database keeps from it. */
export class LedgerRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Writes the entry, its balance transaction and its postings in one statement: the ledger is the
   * hottest write path. A key posted before inserts nothing; answers whether the entry was new.
   */
  async insertEntry(entry: NewJournalEntry): Promise<boolean> {
    const values: unknown[] = [
      entry.id,
      entry.idempotencyKey,
      entry.contentHash,
      entry.merchantId,
      entry.sourceType,
      entry.sourceId,
      entry.description,
    ];
    const balanceTransaction = balanceTransactionStatement(entry, values);
    const rows = entry.postings.map((posting, position) => {
      values.push(newId('lp'), posting.account, posting.merchantId ?? null, posting.currency, posting.amountMinor);
      return `(?, ?, ?, ?::char(3), ?::bigint, ${position})`;
    });
    const inserted = await this.sql.query<{ entry_id: string }>(
      `with entry as (
       insert into ledger_entries (id, idempotency_key, content_hash, merchant_id, source_type, source_id, description)
       values (?, ?, ?, ?, ?, ?, ?) on conflict (idempotency_key) do nothing returning id)
     ${balanceTransaction}
     insert into ledger_postings (id, entry_id, account, merchant_id, currency, amount_minor)
     select p.id, entry.id, p.account, p.merchant_id, p.currency, p.amount_minor
       from entry, (values ${rows.join(', ')}) as p (id, account, merchant_id, currency, amount_minor, position)
      order by p.position
     returning entry_id`,
      values,
    );
    return inserted.length > 0;
  }

  /** The entry posted under this key, with the hash of its content. */
  async findEntryByIdempotencyKey(idempotencyKey: string): Promise<{ id: string; contentHash: string } | null> {
    const [existing] = await this.sql.query<{ id: string; content_hash: string }>(
      `select id, content_hash from ledger_entries where idempotency_key = ?`,
      [idempotencyKey],
    );
    return existing ? { id: existing.id, contentHash: existing.content_hash } : null;
  }

  /** Whether the entry exists and is the merchant's. */
  async isMerchantEntry(merchantId: string, id: string): Promise<boolean> {
    const [row] = await this.sql.query<Row>(`select id from ledger_entries where id = ? and merchant_id = ?`, [id, merchantId]);
    return row !== undefined;
  }

  /** One page of the merchant's entries, newest first, after `startingAfter` (checked to be the merchant's). */
  async listMerchantEntries(merchantId: string, filter: LedgerEntryFilter, limit: number, startingAfter?: string): Promise<Page<Row>> {
    const conditions: SqlCondition[] = [['merchant_id = ?', merchantId]];
    if (filter.source_type) conditions.push(['source_type = ?', filter.source_type]);
    if (filter.source) conditions.push(['source_id = ?', filter.source]);
    conditions.push(...createdConditions(filter, 'created_at'));
    return selectNewestFirst<Row>(this.sql, 'ledger_entries', conditions, limit, startingAfter);
  }

  /** The postings of these entries, by account and currency; no query for none. */
  async postingsOfEntries(entryIds: string[]): Promise<Row[]> {
    if (entryIds.length === 0) return [];
    return this.sql.query<Row>(
      `select entry_id, account, currency, amount_minor from ledger_postings where entry_id = any(?::text[]) order by account, currency`,
      [entryIds],
    );
  }

  /** The merchant's stored account balances, by currency. */
  async merchantAccountBalances(merchantId: string): Promise<Row[]> {
    return this.sql.query<Row>(
      `select account, currency, balance_minor from ledger_account_balances where merchant_id = ? order by currency`,
      [merchantId],
    );
  }

  /** Every account's debits, credits and balance recomputed from its postings, beside the balance stored for it. */
  async accountTotals(): Promise<TrialBalanceRow[]> {
    return this.sql.query<TrialBalanceRow>(
      `with computed as (
       select account, currency, sum(greatest(-amount_minor, 0)) as debits, sum(greatest(amount_minor, 0)) as credits, sum(amount_minor) as balance
         from ledger_postings group by account, currency)
     select coalesce(c.account, b.account) as account, coalesce(c.currency, b.currency) as currency,
            coalesce(c.debits, 0) as debits, coalesce(c.credits, 0) as credits, coalesce(c.balance, 0) as balance,
            b.balance_minor as stored_balance, b.debits_minor as stored_debits, b.credits_minor as stored_credits
       from computed c full outer join ledger_account_balances b on b.account = c.account and b.currency = c.currency
      order by 1, 2`,
    );
  }

  /** Every stored account balance with its debit and credit totals, as the posting trigger keeps them. */
  async storedAccountBalances(): Promise<TrialBalanceRow[]> {
    return this.sql.query<TrialBalanceRow>(
      `select account, currency, debits_minor, credits_minor, balance_minor from ledger_account_balances order by account, currency`,
    );
  }

  /** Entries whose postings do not sum to zero in some currency (at most 100). */
  async unbalancedEntries(): Promise<TrialBalanceRow[]> {
    return this.sql.query<TrialBalanceRow>(
      `select entry_id, currency, sum(amount_minor) as total from ledger_postings group by entry_id, currency having sum(amount_minor) <> 0 limit 100`,
    );
  }

  /** How many merchants hold an account balance. */
  async countMerchantsWithBalances(): Promise<number> {
    const [row] = await this.sql.query<TrialBalanceRow>(
      `select count(distinct merchant_id) as n from ledger_account_balances where merchant_id is not null`,
    );
    return Number(row?.n ?? 0);
  }

  /** Merchants and currencies whose pending + available differs from the sum of their balance transactions (at most 100). */
  async balanceTransactionMismatches(): Promise<TrialBalanceRow[]> {
    return this.sql.query<TrialBalanceRow>(
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
      order by 1, 2 limit 100`,
    );
  }

  /** Merchants' available balances below zero, most negative first (at most 1000). */
  async negativeAvailableBalances(): Promise<TrialBalanceRow[]> {
    return this.sql.query<TrialBalanceRow>(
      `select merchant_id, currency, balance_minor from ledger_account_balances
      where merchant_id is not null and account = 'merchant:' || merchant_id || ':available' and balance_minor < 0
      order by balance_minor limit 1000`,
    );
  }
}

/** The CTE that writes the entry's balance transaction, only when the entry itself is new. */
function balanceTransactionStatement(entry: NewJournalEntry, values: unknown[]): string {
  const transaction = entry.balanceTransaction;
  if (!transaction) return '';
  values.push(
    newId('txn'),
    transaction.merchantId,
    transaction.type,
    entry.sourceType,
    entry.sourceId,
    entry.description,
    transaction.currency,
    transaction.amountMinor,
    transaction.feeMinor,
    transaction.netMinor,
    transaction.pending ? 'pending' : 'available',
    transaction.pending,
    transaction.merchantId,
    transaction.defaultSettlementDelayDays,
  );
  // Available on a UTC day boundary, like a bank's value date: captured on the 21st with a two-day
  // delay, the funds are available from the 23rd at 00:00 UTC.
  return `, balance_transaction as (
       insert into balance_transactions (id, merchant_id, ledger_entry_id, type, source_type, source_id, description, currency, amount_minor, fee_minor, net_minor, status, available_on)
       select ?, ?, entry.id, ?, ?, ?, ?, ?::char(3), ?::bigint, ?::bigint, ?::bigint, ?,
              case when ?::boolean
                then date_trunc('day', now(), 'UTC') + make_interval(days => coalesce((select settlement_delay_days from merchants where id = ?), ?::int))
                else now() end
         from entry)`;
}
