import { selectNewestFirst, type SqlCondition } from '../db/pagination';
import type { Sql } from '../db/sql';
import type { GatewayAccountRecord } from './gateway-account-record';

type Row = Record<string, any>;

// The driver spreads a JS array into a list of values (an empty one into nothing), so the array goes as PostgreSQL's literal; codes are 3 letters.
const textArray = (codes: string[]): string => `{${codes.join(',')}}`;

function toRecord(row: Row): GatewayAccountRecord {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    gateway: row.gateway,
    livemode: row.livemode,
    status: row.status,
    currencies: row.currencies ?? [],
    description: row.description ?? null,
    priority: Number(row.priority),
    credentialsKeyId: row.credentials_key_id ?? null,
    credentialsCiphertext: row.credentials_ciphertext ?? null,
    credentialsLast4: row.credentials_last4 ?? null,
    hasWebhookSecret: row.has_webhook_secret,
    verifiedAt: row.verified_at ? new Date(row.verified_at) : null,
    disabledAt: row.disabled_at ? new Date(row.disabled_at) : null,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** What PATCH may change; credentials arrive sealed. */
export interface GatewayAccountChanges {
  priority?: number;
  currencies?: string[];
  description?: string | null;
  disabled?: boolean;
  sealedCredentials?: { keyId: string; ciphertext: Buffer; last4: string; hasWebhookSecret: boolean };
}

/** The `gateway_accounts` table: a merchant's accounts, and any account by id for the activities and inbound events. */
export class GatewayAccountRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts unless the id exists: a replayed Idempotency-Key lands on the row the first request wrote. */
  async insertIfAbsent(account: GatewayAccountRecord): Promise<void> {
    await this.sql.query(
      `insert into gateway_accounts (id, merchant_id, gateway, livemode, status, currencies, description, priority,
         credentials_key_id, credentials_ciphertext, credentials_last4, has_webhook_secret, verified_at, disabled_at, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?::text[], ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do nothing`,
      [
        account.id,
        account.merchantId,
        account.gateway,
        account.livemode,
        account.status,
        textArray(account.currencies),
        account.description,
        account.priority,
        account.credentialsKeyId,
        account.credentialsCiphertext,
        account.credentialsLast4,
        account.hasWebhookSecret,
        account.verifiedAt,
        account.disabledAt,
        account.createdAt,
        account.updatedAt,
      ],
    );
  }

  async findForMerchant(merchantId: string, id: string): Promise<GatewayAccountRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from gateway_accounts where id = ? and merchant_id = ?`, [id, merchantId]);
    return row ? toRecord(row) : null;
  }

  /** The merchant's accounts among `ids` (enabled or not, of either mode); unknown and other merchants' ids are left out. Ids must be `[A-Za-z0-9_]` only (they go as an array literal). */
  async findManyForMerchant(merchantId: string, ids: string[]): Promise<GatewayAccountRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql.query<Row>(`select * from gateway_accounts where merchant_id = ? and id = any(?::text[])`, [
      merchantId,
      textArray(ids),
    ]);
    return rows.map(toRecord);
  }

  /** Any merchant's account: activities load credentials by account id, and gateway events name only the account. */
  async findById(id: string): Promise<GatewayAccountRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from gateway_accounts where id = ?`, [id]);
    return row ? toRecord(row) : null;
  }

  async listForMerchant(
    merchantId: string,
    limit: number,
    startingAfter?: string,
  ): Promise<{ data: GatewayAccountRecord[]; hasMore: boolean }> {
    const conditions: SqlCondition[] = [['merchant_id = ?', merchantId]];
    const page = await selectNewestFirst<Row>(this.sql, 'gateway_accounts', conditions, limit, startingAfter);
    return { data: page.data.map(toRecord), hasMore: page.hasMore };
  }

  /** The merchant's enabled accounts of one mode, in routing order: priority, then oldest first. */
  async listRoutable(merchantId: string, livemode: boolean): Promise<GatewayAccountRecord[]> {
    const rows = await this.sql.query<Row>(
      `select * from gateway_accounts where merchant_id = ? and livemode = ? and status = 'verified' order by priority, created_at, id`,
      [merchantId, livemode],
    );
    return rows.map(toRecord);
  }

  /** Whether the merchant has any account of this mode, enabled or not (a merchant with accounts no longer falls back to the sandbox). */
  async hasAny(merchantId: string, livemode: boolean): Promise<boolean> {
    const [row] = await this.sql.query<Row>(`select 1 from gateway_accounts where merchant_id = ? and livemode = ? limit 1`, [
      merchantId,
      livemode,
    ]);
    return row !== undefined;
  }

  /** Applies the changes in one statement; null when the merchant has no such account. */
  async update(merchantId: string, id: string, changes: GatewayAccountChanges, now: Date): Promise<GatewayAccountRecord | null> {
    const sets: string[] = ['updated_at = ?'];
    const params: unknown[] = [now];
    const set = (assignment: string, value: unknown) => {
      sets.push(assignment);
      params.push(value);
    };
    if (changes.priority !== undefined) set('priority = ?', changes.priority);
    if (changes.currencies !== undefined) set('currencies = ?::text[]', textArray(changes.currencies));
    if (changes.description !== undefined) set('description = ?', changes.description);
    if (changes.disabled !== undefined) {
      sets.push(`status = ?`, `disabled_at = ?`);
      params.push(changes.disabled ? 'disabled' : 'verified', changes.disabled ? now : null);
    }
    if (changes.sealedCredentials) {
      const sealed = changes.sealedCredentials;
      sets.push(
        'credentials_key_id = ?',
        'credentials_ciphertext = ?',
        'credentials_last4 = ?',
        'has_webhook_secret = ?',
        'verified_at = ?',
      );
      params.push(sealed.keyId, sealed.ciphertext, sealed.last4, sealed.hasWebhookSecret, now);
    }
    const [row] = await this.sql.query<Row>(`update gateway_accounts set ${sets.join(', ')} where id = ? and merchant_id = ? returning *`, [
      ...params,
      id,
      merchantId,
    ]);
    return row ? toRecord(row) : null;
  }
}
