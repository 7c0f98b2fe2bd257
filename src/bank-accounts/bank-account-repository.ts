import { selectNewestFirst, type Page, type SqlCondition } from '../db/pagination';
import type { Sql } from '../db/sql';
import type { BankAccountRecord } from './bank-account-record';

type Row = Record<string, any>;

function toRecord(row: Row): BankAccountRecord {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    livemode: row.livemode,
    status: row.status,
    country: row.country,
    currency: row.currency,
    accountHolderName: row.account_holder_name,
    accountHolderType: row.account_holder_type ?? null,
    bankName: row.bank_name ?? null,
    bankCode: row.bank_code ?? null,
    routingNumber: row.routing_number ?? null,
    last4: row.last4,
    fingerprint: row.fingerprint,
    numberKeyId: row.number_key_id,
    numberCiphertext: row.number_ciphertext,
    defaultForCurrency: row.default_for_currency,
    metadata: row.metadata ?? {},
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    deletedAt: row.deleted_at ? new Date(row.deleted_at) : null,
  };
}

/** The changes an update makes; absent fields stay as they are. */
export interface BankAccountChanges {
  accountHolderName?: string;
  metadata?: Record<string, string>;
}

/** A merchant's bank accounts in `bank_accounts`; never another merchant's. */
export class BankAccountRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Serializes this merchant's bank account writes until the transaction ends: "one default per
   * currency" and "no account twice" are read-then-write rules, and two requests must not both pass them.
   */
  async lockMerchant(merchantId: string): Promise<void> {
    await this.sql.query(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`bank_accounts:${merchantId}`]);
  }

  async findForMerchant(merchantId: string, id: string): Promise<BankAccountRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from bank_accounts where id = ? and merchant_id = ?`, [id, merchantId]);
    return row ? toRecord(row) : null;
  }

  /** The merchant's account in use with this fingerprint, if any (deleted ones may be added again). */
  async findAvailableByFingerprint(merchantId: string, fingerprint: string): Promise<BankAccountRecord | null> {
    const [row] = await this.sql.query<Row>(
      `select * from bank_accounts where merchant_id = ? and fingerprint = ? and status = 'available'`,
      [merchantId, fingerprint],
    );
    return row ? toRecord(row) : null;
  }

  /** The merchant's default account in use for the currency, where payouts go unless told otherwise. */
  async findDefault(merchantId: string, currency: string): Promise<BankAccountRecord | null> {
    const [row] = await this.sql.query<Row>(
      `select * from bank_accounts where merchant_id = ? and currency = ? and default_for_currency and status = 'available'`,
      [merchantId, currency],
    );
    return row ? toRecord(row) : null;
  }

  async hasDefault(merchantId: string, currency: string): Promise<boolean> {
    const rows = await this.sql.query(`select 1 from bank_accounts where merchant_id = ? and currency = ? and default_for_currency`, [
      merchantId,
      currency,
    ]);
    return rows.length > 0;
  }

  async clearDefault(merchantId: string, currency: string, now: Date): Promise<void> {
    await this.sql.query(
      `update bank_accounts set default_for_currency = false, updated_at = ? where merchant_id = ? and currency = ? and default_for_currency`,
      [now, merchantId, currency],
    );
  }

  async insert(account: BankAccountRecord): Promise<void> {
    await this.sql.query(
      `insert into bank_accounts (id, merchant_id, livemode, status, country, currency, account_holder_name, account_holder_type,
         bank_name, bank_code, routing_number, last4, fingerprint, number_key_id, number_ciphertext, default_for_currency,
         metadata, created_at, updated_at, deleted_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?)`,
      [
        account.id,
        account.merchantId,
        account.livemode,
        account.status,
        account.country,
        account.currency,
        account.accountHolderName,
        account.accountHolderType,
        account.bankName,
        account.bankCode,
        account.routingNumber,
        account.last4,
        account.fingerprint,
        account.numberKeyId,
        account.numberCiphertext,
        account.defaultForCurrency,
        JSON.stringify(account.metadata),
        account.createdAt,
        account.updatedAt,
        account.deletedAt,
      ],
    );
  }

  /** Applies the changes and, when asked, makes the account its currency's default; null when the merchant has no such account. */
  async update(merchantId: string, id: string, changes: BankAccountChanges & { makeDefault: boolean }, now: Date) {
    const [row] = await this.sql.query<Row>(
      `update bank_accounts set
         account_holder_name = coalesce(?, account_holder_name),
         metadata = coalesce(?::jsonb, metadata),
         default_for_currency = default_for_currency or ?,
         updated_at = ?
       where id = ? and merchant_id = ? returning *`,
      [
        changes.accountHolderName ?? null,
        changes.metadata === undefined ? null : JSON.stringify(changes.metadata),
        changes.makeDefault,
        now,
        id,
        merchantId,
      ],
    );
    return row ? toRecord(row) : null;
  }

  /** Soft delete: the row stays for payouts' history, no longer anyone's default. */
  async markDeleted(merchantId: string, id: string, now: Date): Promise<BankAccountRecord | null> {
    const [row] = await this.sql.query<Row>(
      `update bank_accounts set status = 'deleted', default_for_currency = false, deleted_at = ?, updated_at = ?
       where id = ? and merchant_id = ? and status = 'available' returning *`,
      [now, now, id, merchantId],
    );
    return row ? toRecord(row) : null;
  }

  /** One page of the merchant's accounts in use, newest first, optionally of one currency. */
  async listForMerchant(
    merchantId: string,
    query: { currency?: string; limit: number; startingAfter?: string },
  ): Promise<Page<BankAccountRecord>> {
    const conditions: SqlCondition[] = [['merchant_id = ?', merchantId], [`status = 'available'`]];
    if (query.currency !== undefined) conditions.push(['currency = ?', query.currency]);
    const page = await selectNewestFirst<Row>(this.sql, 'bank_accounts', conditions, query.limit, query.startingAfter);
    return { data: page.data.map(toRecord), hasMore: page.hasMore };
  }
}
