import { selectNewestFirst, type Page, type SqlCondition } from '../db/pagination';
import type { Sql } from '../db/sql';
import { createdConditions, type CreatedRange } from './ledger-repository';

type Row = Record<string, any>;

/** The list's filters, named as the API names them. */
export interface BalanceTransactionFilter extends CreatedRange {
  type?: string;
  /** The source object's id (source_id). */
  source?: string;
  currency?: string;
  status?: string;
}

/** A pending balance transaction whose settlement day has come. */
export interface DueTransaction {
  id: string;
  merchant_id: string;
  currency: string;
  net_minor: string;
}

/**
 * Reads and updates of the merchants' balance history (balance_transactions). Rows are inserted
 * with their ledger entry, by `LedgerRepository.insertEntry`.
 */
export class BalanceTransactionRepository {
  constructor(private readonly sql: Sql) {}

  /** Whether the transaction exists and is the merchant's. */
  async isMerchantTransaction(merchantId: string, id: string): Promise<boolean> {
    const [row] = await this.sql.query<Row>(`select id from balance_transactions where id = ? and merchant_id = ?`, [id, merchantId]);
    return row !== undefined;
  }

  /** One page of the merchant's transactions, newest first, after `startingAfter` (checked to be the merchant's). */
  async listForMerchant(merchantId: string, filter: BalanceTransactionFilter, limit: number, startingAfter?: string): Promise<Page<Row>> {
    const conditions: SqlCondition[] = [['merchant_id = ?', merchantId]];
    if (filter.type) conditions.push(['type = ?', filter.type]);
    if (filter.source) conditions.push(['source_id = ?', filter.source]);
    if (filter.currency) conditions.push(['currency = ?', filter.currency]);
    if (filter.status) conditions.push(['status = ?', filter.status]);
    conditions.push(...createdConditions(filter, 'created_at'));
    return selectNewestFirst<Row>(this.sql, 'balance_transactions', conditions, limit, startingAfter);
  }

  /**
   * Locks up to `limit` pending transactions available by `asOf`, oldest first, of these merchants
   * or all. Rows another settlement batch holds are skipped, so concurrent batches never overlap.
   */
  async lockDue(asOf: Date, limit: number, merchantIds?: string[]): Promise<DueTransaction[]> {
    return this.sql.query<DueTransaction>(
      `select id, merchant_id, currency, net_minor from balance_transactions
        where status = 'pending' and available_on <= ? ${merchantIds ? 'and merchant_id = any(?::text[])' : ''}
        order by available_on, id limit ? for update skip locked`,
      merchantIds ? [asOf, merchantIds, limit] : [asOf, limit],
    );
  }

  /** Marks the transactions available, settled by this entry (null when their net was zero). */
  async markSettled(ids: string[], settlementEntryId: string | null): Promise<void> {
    await this.sql.query(`update balance_transactions set status = 'available', settlement_entry_id = ? where id = any(?::text[])`, [
      settlementEntryId,
      ids,
    ]);
  }
}
