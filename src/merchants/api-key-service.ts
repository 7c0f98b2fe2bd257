import type { Orm } from '../db/orm';
import { inTransaction, sqlFor, type Sql } from '../db/sql';
import { selectNewestFirst } from '../db/sql-pagination';
import { ApiError } from '../shared/api-error';
import { newId } from '../shared/ids';
import { apiTimestamp, apiTimestampOrNull } from '../shared/timestamps';
import { generateApiKey, hashApiKey, LIVE_KEY_PREFIX, TEST_KEY_PREFIX } from './api-keys';
import { notifyKeyRevoked } from './key-revocations';
import type { Merchant } from './merchant-entities';
import type { MerchantService } from './merchant-service';

interface ApiKeyRow {
  id: string;
  key_prefix: string;
  last4: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface ApiKeyJson {
  id: string;
  object: 'api_key';
  livemode: boolean;
  prefix: string;
  last4: string;
  redacted: string;
  status: 'active' | 'expiring' | 'revoked';
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const COLUMNS = 'id, key_prefix, last4, created_at, last_used_at, revoked_at';

function renderApiKey(row: ApiKeyRow, now = new Date()): ApiKeyJson {
  const revokedAt = row.revoked_at ? new Date(row.revoked_at) : null;
  return {
    id: row.id, object: 'api_key', livemode: row.key_prefix === LIVE_KEY_PREFIX, prefix: row.key_prefix, last4: row.last4,
    redacted: `${row.key_prefix}...${row.last4}`,
    status: !revokedAt ? 'active' : revokedAt > now ? 'expiring' : 'revoked',
    created_at: apiTimestamp(row.created_at), last_used_at: apiTimestampOrNull(row.last_used_at), revoked_at: apiTimestampOrNull(revokedAt),
  };
}

// Key changes of one merchant run one at a time, so two revocations cannot each leave the other key as the last.
async function lockMerchant(sql: Sql, merchantId: string): Promise<void> {
  await sql.query(`select id from merchants where id = ? for update`, [merchantId]);
}

/** A merchant's own secret keys: list, create (optionally rotating the calling key out), revoke. */
export class ApiKeyService {
  constructor(private readonly deps: { orm: Orm; merchants: MerchantService }) {}

  /** The merchant's keys, newest first, by prefix and last four only. */
  async list(merchant: Merchant, limit: number, startingAfter?: string): Promise<{ data: ApiKeyJson[]; hasMore: boolean }> {
    const sql = sqlFor(this.deps.orm.em.fork());
    if (startingAfter && (await sql.query(`select 1 from api_keys where id = ? and merchant_id = ?`, [startingAfter, merchant.id])).length === 0) {
      throw ApiError.badRequest(`No such API key: ${startingAfter}`, 'resource_missing', 'starting_after');
    }
    const page = await selectNewestFirst<ApiKeyRow>(sql, 'api_keys', [['merchant_id = ?', merchant.id]], limit, startingAfter);
    return { data: page.rows.map((row) => renderApiKey(row)), hasMore: page.hasMore };
  }

  /** A new secret key in the merchant's mode, shown once; with `expireCurrentInHours`, the calling key stops working that much later. */
  async create(merchant: Merchant, callingKeyId: string, expireCurrentInHours?: number): Promise<ApiKeyJson & { secret: string; previous_key?: ApiKeyJson }> {
    const secret = generateApiKey(merchant.livemode ? LIVE_KEY_PREFIX : TEST_KEY_PREFIX);
    const { created, previous } = await inTransaction(this.deps.orm, async (sql) => {
      await lockMerchant(sql, merchant.id);
      const [row] = await sql.query<ApiKeyRow>(
        `insert into api_keys (id, merchant_id, key_hash, key_prefix, last4, created_at) values (?, ?, ?, ?, ?, now()) returning ${COLUMNS}`,
        [newId('key'), merchant.id, hashApiKey(secret), secret.slice(0, 8), secret.slice(-4)]);
      if (expireCurrentInHours === undefined) return { created: row };
      // An earlier expiry already scheduled stays: rotating never extends a key's life.
      const [old] = await sql.query<ApiKeyRow>(
        `update api_keys set revoked_at = least(coalesce(revoked_at, 'infinity'), now() + ?::double precision * interval '1 second')
          where id = ? and merchant_id = ? returning ${COLUMNS}`, [expireCurrentInHours * 3600, callingKeyId, merchant.id]);
      await notifyKeyRevoked(sql, callingKeyId);
      return { created: row, previous: old };
    });
    if (previous) this.deps.merchants.forgetKey(callingKeyId);
    return { ...renderApiKey(created), secret, ...(previous ? { previous_key: renderApiKey(previous) } : {}) };
  }

  /** Revokes a key at once, in every API process; the merchant's last key that never expires cannot be revoked (409). */
  async revoke(merchant: Merchant, keyId: string): Promise<ApiKeyJson> {
    const row = await inTransaction(this.deps.orm, async (sql) => {
      await lockMerchant(sql, merchant.id);
      const [key] = await sql.query<ApiKeyRow>(`select ${COLUMNS} from api_keys where id = ? and merchant_id = ?`, [keyId, merchant.id]);
      if (!key) throw ApiError.notFound('API key not found', 'resource_missing', 'id');
      if (key.revoked_at && new Date(key.revoked_at) <= new Date()) return key;
      const [{ others }] = await sql.query<{ others: number }>(
        `select count(*)::int as others from api_keys where merchant_id = ? and id <> ? and revoked_at is null`, [merchant.id, keyId]);
      if (others === 0) {
        throw ApiError.conflict('This is the last active API key: create another one before revoking it', 'last_active_key');
      }
      const [revoked] = await sql.query<ApiKeyRow>(`update api_keys set revoked_at = now() where id = ? returning ${COLUMNS}`, [keyId]);
      await notifyKeyRevoked(sql, keyId);
      return revoked;
    });
    this.deps.merchants.forgetKey(keyId);
    return renderApiKey(row);
  }
}
