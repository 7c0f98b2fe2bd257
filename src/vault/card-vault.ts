import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import type { Logger } from '../logger';
import type { Merchant } from '../merchants/merchant-record';
import { ApiError } from '../shared/api-error';
import { newId } from '../shared/ids';
import { validateCard, type CardInput } from './card-validation';
import type { CardTokenRecord } from './card-token-record';
import { CardTokenRepository } from './card-token-repository';
import { testCardBehaviour } from './test-card-behaviours';
import { cardFingerprint, sealPan, type VaultKeyRing } from './vault-keys';

export interface CardVaultDeps {
  orm: Orm;
  /** Absent when CARD_VAULT_KEYS / CARD_FINGERPRINT_KEY are not configured: tokenizing then answers 503. */
  keys?: VaultKeyRing;
  logger: Logger;
  now?: () => Date;
}

/**
 * Turns card numbers into tokens. The number is sealed with AES-256-GCM; the CVC is checked for
 * shape and dropped (the sandbox has no issuer to check it with, and it is never stored or logged).
 */
export class CardVault {
  constructor(private readonly deps: CardVaultDeps) {}

  /**
   * Validates a card and stores it as a new token usable only by this merchant.
   * @throws 400 invalid_number, 400 incorrect_number, 400 invalid_expiry_month, 400 invalid_expiry_year, 400 expired_card, 400 invalid_cvc, 503 card_vault_unavailable
   */
  async tokenize(merchant: Pick<Merchant, 'id'>, card: CardInput): Promise<CardTokenRecord> {
    const now = this.deps.now?.() ?? new Date();
    const checked = validateCard(card, now);
    if (!checked.ok) throw ApiError.badRequest(checked.problem.message, checked.problem.code, checked.problem.param);
    const keys = this.deps.keys;
    if (!keys)
      throw ApiError.unavailable('The card vault has no keys configured (CARD_VAULT_KEYS, CARD_FINGERPRINT_KEY)', 'card_vault_unavailable');
    const { pan, brand, expMonth, expYear } = checked.card;
    const id = newId('tok');
    const { kid, sealed } = sealPan(keys, pan, id);
    const token: CardTokenRecord = {
      id,
      merchantId: merchant.id,
      brand,
      last4: pan.slice(-4),
      expMonth,
      expYear,
      fingerprint: cardFingerprint(keys, pan),
      keyId: kid,
      panCiphertext: sealed,
      sandboxBehaviour: testCardBehaviour(pan, brand),
      createdAt: now,
    };
    await new CardTokenRepository(sqlFor(this.deps.orm.em.fork())).insert(token);
    this.deps.logger.debug({ tokenId: id, merchantId: merchant.id, brand, last4: token.last4 }, 'card tokenized');
    return token;
  }
}
