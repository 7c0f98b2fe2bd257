import type { Sql } from '../db/sql';
import { selectNewestFirst, type SqlCondition } from '../db/pagination';
import type { CustomerRecord } from './customer-record';

type Row = Record<string, any>;

function toRecord(row: Row): CustomerRecord {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    email: row.email,
    name: row.name ?? null,
    defaultSource: row.default_source,
    metadata: row.metadata ?? {},
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** A merchant's customers in the `customers` table; never another merchant's, except for the subscription workflow's charges. */
export class CustomerRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts the customer unless its id exists: a replayed Idempotency-Key lands on the row the first request wrote. */
  async insertIfAbsent(customer: CustomerRecord): Promise<void> {
    await this.sql.query(
      `insert into customers (id, merchant_id, email, name, default_source, metadata, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?::jsonb, ?, ?) on conflict (id) do nothing`,
      [
        customer.id,
        customer.merchantId,
        customer.email,
        customer.name,
        customer.defaultSource,
        JSON.stringify(customer.metadata),
        customer.createdAt,
        customer.updatedAt,
      ],
    );
  }

  async findForMerchant(merchantId: string, id: string): Promise<CustomerRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from customers where id = ? and merchant_id = ?`, [id, merchantId]);
    return row ? toRecord(row) : null;
  }

  /** Any merchant's customer's default source (for a charge the subscription workflow makes); null when there is no such customer. */
  async findDefaultSource(id: string): Promise<string | null> {
    const [row] = await this.sql.query<{ default_source: string }>(`select default_source from customers where id = ?`, [id]);
    return row ? row.default_source : null;
  }

  /** One page, newest first; `email` matches case-insensitively. */
  async listForMerchant(
    merchantId: string,
    query: { email?: string; limit: number; startingAfter?: string },
  ): Promise<{ data: CustomerRecord[]; hasMore: boolean }> {
    const conditions: SqlCondition[] = [['merchant_id = ?', merchantId]];
    if (query.email !== undefined) conditions.push(['lower(email) = lower(?)', query.email]);
    const page = await selectNewestFirst<Row>(this.sql, 'customers', conditions, query.limit, query.startingAfter);
    return { data: page.data.map(toRecord), hasMore: page.hasMore };
  }

  /** Sets the default source in one statement (committed on return); null when the merchant has no such customer. */
  async setDefaultSource(merchantId: string, id: string, source: string, now: Date): Promise<CustomerRecord | null> {
    const [row] = await this.sql.query<Row>(
      `update customers set default_source = ?, updated_at = ? where id = ? and merchant_id = ? returning *`,
      [source, now, id, merchantId],
    );
    return row ? toRecord(row) : null;
  }
}
