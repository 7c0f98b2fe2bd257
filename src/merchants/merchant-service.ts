import type { MikroORM } from '@mikro-orm/postgresql';
import { sqlFor } from '../db/sql';
import { newId } from '../shared/ids';
import { ApiKeyRepository } from './api-key-repository';
import { generateApiKey, hashApiKey, LIVE_KEY_PREFIX, TEST_KEY_PREFIX } from './api-keys';
import type { Merchant } from './merchant-record';
import { MerchantRepository } from './merchant-repository';

export interface CreateMerchantInput {
  name: string;
  livemode?: boolean;
  feePercentBps?: number;
  feeFixedMinor?: number;
  maxPaymentAmountMinor?: number;
  settlementDelayDays?: number;
  payoutFeeMinor?: number;
}

export interface CreatedMerchant {
  merchant: Merchant;
  /** Shown once: only its hash is stored. */
  apiKey: string;
}

/** The API key behind a request, as the audit log and key rotation name it (never the secret). */
export interface AuthenticatedKey {
  id: string;
  prefix: string;
  last4: string;
}

/**
 * How long a process trusts a key it looked up. Revocation also clears the entry in every API process
 * at once (the revoking process directly, the others through a PostgreSQL NOTIFY); this bound only
 * matters if a notification is lost while a listener reconnects.
 */
export const AUTH_CACHE_TTL_MS = 5_000;
// last_used_at is written at most this often per key and process: a write per request would cost more than it tells.
const LAST_USED_RESOLUTION_MS = 60_000;

interface CachedKey {
  merchant: Merchant;
  key: AuthenticatedKey;
  expiresAt: number;
}

/** Merchants and their API keys. */
export class MerchantService {
  private readonly authCache = new Map<string, CachedKey>();
  private readonly lastUsedWritten = new Map<string, number>();
  // Bumped by every revocation: a lookup that started before one does not cache its answer.
  private revocations = 0;

  constructor(private readonly orm: MikroORM) {}

  /** Creates a merchant (test mode unless asked) and its first secret key. */
  async create(input: CreateMerchantInput): Promise<CreatedMerchant> {
    const apiKey = generateApiKey(input.livemode ? LIVE_KEY_PREFIX : TEST_KEY_PREFIX);
    const merchant: Merchant = {
      id: newId('mer'),
      name: input.name,
      livemode: input.livemode ?? false,
      createdAt: new Date(),
      feePercentBps: input.feePercentBps ?? null,
      feeFixedMinor: input.feeFixedMinor ?? null,
      maxPaymentAmountMinor: input.maxPaymentAmountMinor ?? null,
      settlementDelayDays: input.settlementDelayDays ?? null,
      payoutFeeMinor: input.payoutFeeMinor ?? null,
    };
    await this.orm.em.fork().transactional(async (em) => {
      await new MerchantRepository(em).insert(merchant);
      await new ApiKeyRepository(sqlFor(em)).insert({
        id: newId('key'),
        merchantId: merchant.id,
        keyHash: hashApiKey(apiKey),
        keyPrefix: apiKey.slice(0, 8),
        last4: apiKey.slice(-4),
        createdAt: new Date(),
        revokedAt: null,
      });
    });
    return { merchant, apiKey };
  }

  /** A new secret key for an existing merchant (its other keys stay as they are), or null when there is no such merchant. */
  async issueKey(merchantId: string): Promise<CreatedMerchant | null> {
    const em = this.orm.em.fork();
    const merchant = await new MerchantRepository(em).findById(merchantId);
    if (!merchant) return null;
    const apiKey = generateApiKey(merchant.livemode ? LIVE_KEY_PREFIX : TEST_KEY_PREFIX);
    await new ApiKeyRepository(sqlFor(em)).insert({
      id: newId('key'),
      merchantId,
      keyHash: hashApiKey(apiKey),
      keyPrefix: apiKey.slice(0, 8),
      last4: apiKey.slice(-4),
      createdAt: new Date(),
      revokedAt: null,
    });
    return { merchant, apiKey };
  }

  /** The merchant a secret key belongs to, or null. Cached briefly: every request authenticates. */
  async authenticate(apiKey: string): Promise<Merchant | null> {
    return (await this.authenticateKey(apiKey))?.merchant ?? null;
  }

  /** The merchant and the key (id, prefix, last 4) behind a secret, or null when it is unknown, revoked or past its expiry. */
  async authenticateKey(apiKey: string): Promise<{ merchant: Merchant; key: AuthenticatedKey } | null> {
    const keyHash = hashApiKey(apiKey);
    const now = Date.now();
    const cached = this.authCache.get(keyHash);
    if (cached && cached.expiresAt > now) return cached;
    const revocationsBefore = this.revocations;
    const em = this.orm.em.fork();
    const row = await new ApiKeyRepository(sqlFor(em)).findUsableByHash(keyHash);
    if (!row) return null;
    const merchant = await new MerchantRepository(em).findById(row.merchant_id);
    if (!merchant) return null;
    const key = { id: row.id, prefix: row.key_prefix, last4: row.last4 };
    this.noteUse(key.id, row.last_used_at, now);
    // A key rotated with a delay stops at its revoked_at, whatever the cache's lifetime.
    const expiresAt = Math.min(now + AUTH_CACHE_TTL_MS, row.revoked_at ? new Date(row.revoked_at).getTime() : Infinity);
    if (this.revocations === revocationsBefore) {
      if (this.authCache.size > 10_000) this.authCache.clear();
      this.authCache.set(keyHash, { merchant, key, expiresAt });
    }
    return { merchant, key };
  }

  /** Forgets a revoked key at once, so its next request is looked up (and refused). */
  forgetKey(keyId: string): void {
    this.revocations += 1;
    for (const [hash, entry] of this.authCache) if (entry.key.id === keyId) this.authCache.delete(hash);
  }

  /** Forgets every cached key: after a revocation listener reconnects, it may have missed some. */
  forgetAllKeys(): void {
    this.revocations += 1;
    this.authCache.clear();
  }

  // Off the request's path: a failed write only leaves last_used_at a little older.
  private noteUse(keyId: string, storedAt: Date | null, now: number): void {
    const last = Math.max(this.lastUsedWritten.get(keyId) ?? 0, storedAt ? new Date(storedAt).getTime() : 0);
    if (now - last < LAST_USED_RESOLUTION_MS) return;
    if (this.lastUsedWritten.size > 10_000) this.lastUsedWritten.clear();
    this.lastUsedWritten.set(keyId, now);
    new ApiKeyRepository(sqlFor(this.orm.em.fork())).touchLastUsed(keyId).catch(() => undefined);
  }
}
