import type { Sql } from '../db/sql';
import { selectNewestFirst, type Page } from '../db/pagination';
import type { ApiKey, ApiKeyRow, UsableApiKeyRow } from './api-key-record';
import { API_KEY_REVOKED_CHANNEL } from './key-revocations';

const COLUMNS = 'id, key_prefix, last4, created_at, last_used_at, revoked_at';

/** The `api_keys` table: merchants' secret keys, stored by hash. */
export class ApiKeyRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts a key with the creation time it carries (a new merchant's first key, a reissued key). */
  async insert(key: ApiKey): Promise<void> {
    await this.sql.query(
      `insert into api_keys (id, merchant_id, key_hash, key_prefix, last4, created_at, revoked_at) values (?, ?, ?, ?, ?, ?, ?)`,
      [key.id, key.merchantId, key.keyHash, key.keyPrefix, key.last4, key.createdAt, key.revokedAt ?? null],
    );
  }

  /** Inserts a key created now (by the database's clock) and answers it as the API shows it. */
  async insertNow(key: Omit<ApiKey, 'createdAt' | 'revokedAt'>): Promise<ApiKeyRow> {
    const [row] = await this.sql.query<ApiKeyRow>(
      `insert into api_keys (id, merchant_id, key_hash, key_prefix, last4, created_at) values (?, ?, ?, ?, ?, now()) returning ${COLUMNS}`,
      [key.id, key.merchantId, key.keyHash, key.keyPrefix, key.last4],
    );
    return row;
  }

  /** The key with this hash, unless it is revoked or past its expiry. */
  async findUsableByHash(keyHash: string): Promise<UsableApiKeyRow | undefined> {
    const [row] = await this.sql.query<UsableApiKeyRow>(
      `select id, merchant_id, key_prefix, last4, revoked_at, last_used_at from api_keys where key_hash = ? and (revoked_at is null or revoked_at > now())`,
      [keyHash],
    );
    return row;
  }

  async findForMerchant(merchantId: string, keyId: string): Promise<ApiKeyRow | undefined> {
    const [row] = await this.sql.query<ApiKeyRow>(`select ${COLUMNS} from api_keys where id = ? and merchant_id = ?`, [keyId, merchantId]);
    return row;
  }

  async existsForMerchant(merchantId: string, keyId: string): Promise<boolean> {
    return (await this.sql.query(`select 1 from api_keys where id = ? and merchant_id = ?`, [keyId, merchantId])).length > 0;
  }

  /** One page of the merchant's keys, newest first, after the key `startingAfter` (checked to be the merchant's own). */
  async listForMerchant(merchantId: string, limit: number, startingAfter?: string): Promise<Page<ApiKeyRow>> {
    return selectNewestFirst<ApiKeyRow>(this.sql, 'api_keys', [['merchant_id = ?', merchantId]], limit, startingAfter);
  }

  /** How many of the merchant's keys other than `keyId` have no revocation, not even a scheduled one. */
  async countOtherActive(merchantId: string, keyId: string): Promise<number> {
    const [{ others }] = await this.sql.query<{ others: number }>(
      `select count(*)::int as others from api_keys where merchant_id = ? and id <> ? and revoked_at is null`,
      [merchantId, keyId],
    );
    return others;
  }

  /** Locks the merchant's row until the caller's transaction ends: key changes of one merchant run one at a time, so two revocations cannot each leave the other key as the last. */
  async lockMerchantKeys(merchantId: string): Promise<void> {
    await this.sql.query(`select id from merchants where id = ? for update`, [merchantId]);
  }

  /** Schedules the key's revocation `seconds` from now; undefined when the merchant has no such key. */
  async expireWithin(merchantId: string, keyId: string, seconds: number): Promise<ApiKeyRow | undefined> {
    // An earlier expiry already scheduled stays: rotating never extends a key's life.
    const [row] = await this.sql.query<ApiKeyRow>(
      `update api_keys set revoked_at = least(coalesce(revoked_at, 'infinity'), now() + ?::double precision * interval '1 second')
        where id = ? and merchant_id = ? returning ${COLUMNS}`,
      [seconds, keyId, merchantId],
    );
    return row;
  }

  /** Revokes the key now. */
  async revokeNow(keyId: string): Promise<ApiKeyRow> {
    const [row] = await this.sql.query<ApiKeyRow>(`update api_keys set revoked_at = now() where id = ? returning ${COLUMNS}`, [keyId]);
    return row;
  }

  /** Queued in the revoking transaction: PostgreSQL delivers it at commit, to every API process listening. */
  async notifyRevoked(keyId: string): Promise<void> {
    await this.sql.query(`select pg_notify('${API_KEY_REVOKED_CHANNEL}', ?)`, [keyId]);
  }

  /** Stamps the key as used now. */
  async touchLastUsed(keyId: string): Promise<void> {
    await this.sql.query(`update api_keys set last_used_at = now() where id = ?`, [keyId]);
  }
}
