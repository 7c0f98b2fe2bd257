import type { Orm } from '../db/orm';
import { inTransaction, sqlFor } from '../db/sql';
import { ApiError, apiErrors } from '../shared/api-error';
import { newId } from '../shared/ids';
import { apiTimestamp, apiTimestampOrNull } from '../shared/timestamps';
import type { ApiKeyRow } from './api-key-record';
import { ApiKeyRepository } from './api-key-repository';
import { generateApiKey, hashApiKey, LIVE_KEY_PREFIX, TEST_KEY_PREFIX } from './api-keys';
import type { Merchant } from './merchant-record';
import type { MerchantService } from './merchant-service';

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

function renderApiKey(row: ApiKeyRow, now = new Date()): ApiKeyJson {
  const revokedAt = row.revoked_at ? new Date(row.revoked_at) : null;
  return {
    id: row.id,
    object: 'api_key',
    livemode: row.key_prefix === LIVE_KEY_PREFIX,
    prefix: row.key_prefix,
    last4: row.last4,
    redacted: `${row.key_prefix}...${row.last4}`,
    status: !revokedAt ? 'active' : revokedAt > now ? 'expiring' : 'revoked',
    created_at: apiTimestamp(row.created_at),
    last_used_at: apiTimestampOrNull(row.last_used_at),
    revoked_at: apiTimestampOrNull(revokedAt),
  };
}

/** A merchant's own secret keys: list, create (optionally rotating the calling key out), revoke. */
export class ApiKeyService {
  constructor(private readonly deps: { orm: Orm; merchants: MerchantService }) {}

  /**
   * The merchant's keys, newest first, by prefix and last four only.
   * @throws 400 resource_missing (starting_after)
   */
  async list(merchant: Merchant, limit: number, startingAfter?: string): Promise<{ data: ApiKeyJson[]; hasMore: boolean }> {
    const keys = new ApiKeyRepository(sqlFor(this.deps.orm.em.fork()));
    if (startingAfter && !(await keys.existsForMerchant(merchant.id, startingAfter))) {
      throw apiErrors.noSuch('API key', startingAfter);
    }
    const page = await keys.listForMerchant(merchant.id, limit, startingAfter);
    return { data: page.data.map((row) => renderApiKey(row)), hasMore: page.hasMore };
  }

  /** A new secret key in the merchant's mode, shown once; with `expireCurrentInHours`, the calling key stops working that much later. */
  async create(
    merchant: Merchant,
    callingKeyId: string,
    expireCurrentInHours?: number,
  ): Promise<ApiKeyJson & { secret: string; previous_key?: ApiKeyJson }> {
    const secret = generateApiKey(merchant.livemode ? LIVE_KEY_PREFIX : TEST_KEY_PREFIX);
    const { created, previous } = await inTransaction(this.deps.orm, async (sql) => {
      const keys = new ApiKeyRepository(sql);
      await keys.lockMerchantKeys(merchant.id);
      const row = await keys.insertNow({
        id: newId('key'),
        merchantId: merchant.id,
        keyHash: hashApiKey(secret),
        keyPrefix: secret.slice(0, 8),
        last4: secret.slice(-4),
      });
      if (expireCurrentInHours === undefined) return { created: row };
      const old = await keys.expireWithin(merchant.id, callingKeyId, expireCurrentInHours * 3600);
      await keys.notifyRevoked(callingKeyId);
      return { created: row, previous: old };
    });
    if (previous) this.deps.merchants.forgetKey(callingKeyId);
    return { ...renderApiKey(created), secret, ...(previous ? { previous_key: renderApiKey(previous) } : {}) };
  }

  /**
   * Revokes a key at once, in every API process; the merchant's last key that never expires cannot be revoked (409).
   * @throws 404 resource_missing, 409 last_active_key
   */
  async revoke(merchant: Merchant, keyId: string): Promise<ApiKeyJson> {
    const row = await inTransaction(this.deps.orm, async (sql) => {
      const keys = new ApiKeyRepository(sql);
      await keys.lockMerchantKeys(merchant.id);
      const key = await keys.findForMerchant(merchant.id, keyId);
      if (!key) throw apiErrors.notFound('API key');
      if (key.revoked_at && new Date(key.revoked_at) <= new Date()) return key;
      const others = await keys.countOtherActive(merchant.id, keyId);
      if (others === 0) {
        throw ApiError.conflict('This is the last active API key: create another one before revoking it', 'last_active_key');
      }
      const revoked = await keys.revokeNow(keyId);
      await keys.notifyRevoked(keyId);
      return revoked;
    });
    this.deps.merchants.forgetKey(keyId);
    return renderApiKey(row);
  }
}
