import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import type { PaymentGateway } from '../gateways/payment-gateway';
import { ApiError } from '../shared/api-error';
import { PAYMENT_FAILURES } from '../shared/failure-types';
import { isExpired } from './card-token-record';
import { CardTokenRepository } from './card-token-repository';
import { openPan, type VaultKeyRing } from './vault-keys';

/** A vault card opened for a gateway that takes card data: only ever held in an activity's memory. */
export interface OpenedCard {
  number: string;
  expMonth: number;
  expYear: number;
}

/**
 * Vault tokens as payment sources. Workflows and gateways only ever see the token id; what a card
 * does in the sandbox was decided when it was tokenized, so nothing here reads the card number.
 */
export class CardTokenSources {
  constructor(private readonly orm: Orm) {}

  /** The sandbox behaviour of the merchant's own, unexpired vault token; undefined for anything else. */
  async usableBy(merchantId: string, source: string, at: Date): Promise<string | undefined> {
    const token = await this.tokens().find(source);
    return token && token.merchantId === merchantId && !isExpired(token, at) ? token.sandboxBehaviour : undefined;
  }

  /** At charge time: the token's behaviour, or an expired card's once it has expired (a renewal charged after the card's end). */
  async behaviourAt(source: string, at: Date): Promise<string | undefined> {
    const token = await this.tokens().find(source);
    if (!token) return undefined;
    return isExpired(token, at) ? 'tok_expired_card' : token.sandboxBehaviour;
  }

  /**
   * Refuses, with the payments' 400 invalid_source naming `source`, a source the gateway cannot
   * charge: not one of its own tokens, nor a vault token of this merchant that is still valid.
   * @throws 400 invalid_source
   */
  async requireUsable(gateway: PaymentGateway, merchantId: string, source: string): Promise<void> {
    if (gateway.recognizesSource(source)) return;
    const behaviour = await this.usableBy(merchantId, source, new Date());
    if (behaviour && gateway.recognizesSource(behaviour)) return;
    throw ApiError.badRequest(PAYMENT_FAILURES.InvalidSource.message, PAYMENT_FAILURES.InvalidSource.code, 'source');
  }

  /** Whether `source` is a vault token of this merchant that is still valid (any gateway that takes card data can charge it). */
  async isUsableVaultToken(merchantId: string, source: string, at = new Date()): Promise<boolean> {
    return (await this.usableBy(merchantId, source, at)) !== undefined;
  }

  /**
   * Opens the merchant's vault token for a gateway that is sent card data (Stripe, for merchants who tokenize with us).
   * Undefined for a token that is not this merchant's; the number never leaves the caller's memory.
   */
  async openCard(keys: Pick<VaultKeyRing, 'keys'>, merchantId: string, tokenId: string): Promise<OpenedCard | undefined> {
    const token = await this.tokens().find(tokenId);
    if (!token || token.merchantId !== merchantId) return undefined;
    const number = openPan(
      { keys: keys.keys, fingerprintKey: Buffer.alloc(0) },
      { kid: token.keyId, sealed: token.panCiphertext },
      token.id,
    );
    return { number, expMonth: token.expMonth, expYear: token.expYear };
  }

  private tokens(): CardTokenRepository {
    return new CardTokenRepository(sqlFor(this.orm.em.fork()));
  }
}
