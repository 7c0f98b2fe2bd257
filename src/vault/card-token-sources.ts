import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import type { PaymentGateway } from '../gateways/payment-gateway';
import { ApiError } from '../shared/api-error';
import { PAYMENT_FAILURES } from '../shared/failure-types';
import { isExpired } from './card-token-record';
import { CardTokenRepository } from './card-token-repository';

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

  private tokens(): CardTokenRepository {
    return new CardTokenRepository(sqlFor(this.orm.em.fork()));
  }
}
