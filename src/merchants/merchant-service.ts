import type { MikroORM } from '@mikro-orm/postgresql';
import { newId } from '../shared/ids';
import { generateApiKey, hashApiKey, LIVE_KEY_PREFIX, TEST_KEY_PREFIX } from './api-keys';
import { ApiKeyEntity, MerchantEntity, type Merchant } from './merchant-entities';

export interface CreateMerchantInput {
  name: string;
  livemode?: boolean;
  feePercentBps?: number;
  feeFixedMinor?: number;
  maxPaymentAmountMinor?: number;
  settlementDelayDays?: number;
}

export interface CreatedMerchant {
  merchant: Merchant;
  /** Shown once: only its hash is stored. */
  apiKey: string;
}

const AUTH_CACHE_TTL_MS = 30_000;

/** Merchants and their API keys. */
export class MerchantService {
  private readonly authCache = new Map<string, { merchant: Merchant; expiresAt: number }>();

  constructor(private readonly orm: MikroORM) {}

  /** Creates a merchant (test mode unless asked) and its first secret key. */
  async create(input: CreateMerchantInput): Promise<CreatedMerchant> {
    const apiKey = generateApiKey(input.livemode ? LIVE_KEY_PREFIX : TEST_KEY_PREFIX);
    const merchant: Merchant = {
      id: newId('mer'), name: input.name, livemode: input.livemode ?? false, createdAt: new Date(),
      feePercentBps: input.feePercentBps ?? null, feeFixedMinor: input.feeFixedMinor ?? null,
      maxPaymentAmountMinor: input.maxPaymentAmountMinor ?? null, settlementDelayDays: input.settlementDelayDays ?? null,
    };
    await this.orm.em.fork().transactional(async (em) => {
      await em.insert(MerchantEntity, merchant);
      await em.insert(ApiKeyEntity, {
        id: newId('key'), merchantId: merchant.id, keyHash: hashApiKey(apiKey), keyPrefix: apiKey.slice(0, 8),
        last4: apiKey.slice(-4), createdAt: new Date(), revokedAt: null,
      });
    });
    return { merchant, apiKey };
  }

  /** The merchant a secret key belongs to, or null. Cached briefly: every request authenticates. */
  async authenticate(apiKey: string): Promise<Merchant | null> {
    const keyHash = hashApiKey(apiKey);
    const cached = this.authCache.get(keyHash);
    if (cached && cached.expiresAt > Date.now()) return cached.merchant;
    const em = this.orm.em.fork();
    const key = await em.findOne(ApiKeyEntity, { keyHash, revokedAt: null });
    if (!key) return null;
    const merchant = await em.findOne(MerchantEntity, { id: key.merchantId });
    if (!merchant) return null;
    if (this.authCache.size > 10_000) this.authCache.clear();
    this.authCache.set(keyHash, { merchant, expiresAt: Date.now() + AUTH_CACHE_TTL_MS });
    return merchant;
  }
}
