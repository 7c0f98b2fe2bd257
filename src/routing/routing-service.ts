import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import { GatewayAccountRepository } from '../gateway-accounts/gateway-account-repository';
import { identityForCreate, type IdempotencyContext } from '../idempotency/idempotency-keys';
import type { Merchant } from '../merchants/merchant-record';
import { ApiError, apiErrors } from '../shared/api-error';
import { randomBase62 } from '../shared/ids';
import { RoutingRepository } from './routing-repository';
import { DEFAULT_MAX_ATTEMPTS, type RoutingRule, type RoutingSettings } from './routing-rules';
import type { PutRoutingBody } from './routing-schemas';
import { renderRouting, renderRoutingRecord, type RoutingJson } from './routing-view';

// Concurrent PUTs race for the next version number; the loser reads again and takes the one after.
const INSERT_TRIES = 5;

/** The rules as stored: camelCase, the defaults filled in. */
function settingsOf(body: PutRoutingBody): RoutingSettings {
  return {
    maxAttempts: body.max_attempts ?? DEFAULT_MAX_ATTEMPTS,
    rules: body.rules.map((rule): RoutingRule => ({
      ...(rule.match
        ? {
            match: {
              ...(rule.match.currencies ? { currencies: rule.match.currencies } : {}),
              ...(rule.match.card_brands ? { cardBrands: rule.match.card_brands } : {}),
              ...(rule.match.min_amount !== undefined ? { minAmount: rule.match.min_amount } : {}),
              ...(rule.match.max_amount !== undefined ? { maxAmount: rule.match.max_amount } : {}),
            },
          }
        : {}),
      accounts: rule.accounts,
      ...(rule.split ? { split: rule.split.map((share) => ({ gatewayAccount: share.gateway_account, weight: share.weight })) } : {}),
    })),
  };
}

/** A merchant's routing rules across its gateway accounts, versioned: a new version never changes a running payment's route. */
export class RoutingService {
  constructor(private readonly deps: { orm: Orm }) {}

  /** The merchant's current routing configuration: version 0, no rules and 3 attempts before its first PUT. */
  async get(merchant: Pick<Merchant, 'id'>): Promise<RoutingJson> {
    const latest = await this.repository().latest(merchant.id);
    return latest ? renderRoutingRecord(latest) : renderRouting(0, { rules: [], maxAttempts: DEFAULT_MAX_ATTEMPTS }, null);
  }

  /**
   * Checks every account the rules name, then stores them as the merchant's next version; a retry with the Idempotency-Key answers the version it stored.
   * @throws 400 parameter_invalid, 400 resource_missing, 409 idempotency_key_in_use, 422 idempotency_key_reused
   */
  async put(merchant: Pick<Merchant, 'id' | 'livemode'>, body: PutRoutingBody, idempotency?: IdempotencyContext): Promise<RoutingJson> {
    // Checked before the key is claimed: a refused request leaves the key free for the corrected one.
    await this.validate(merchant, body);
    const em = this.deps.orm.em.fork();
    const { id, createdAt } = await identityForCreate(em, merchant.id, idempotency, body, {
      id: `rtg_${randomBase62(22)}`,
      createdAt: new Date(),
    });
    const repository = this.repository();
    for (let attempt = 1; ; attempt++) {
      const stored = await repository.findByRequest(merchant.id, id);
      if (stored) return renderRoutingRecord(stored);
      const inserted = await repository.insertNext(merchant.id, settingsOf(body), id, createdAt);
      if (inserted) return renderRoutingRecord(inserted);
      if (attempt >= INSERT_TRIES)
        throw new ApiError(409, 'Other routing changes are being stored at the same time; retry in a moment.', 'idempotency_key_in_use');
    }
  }

  /** Every field that names an account must name one of the merchant's, of its mode, once per list. */
  private async validate(merchant: Pick<Merchant, 'id' | 'livemode'>, body: PutRoutingBody): Promise<void> {
    const named = [...new Set(body.rules.flatMap((rule) => rule.accounts))];
    const accounts = new Map(
      (await new GatewayAccountRepository(sqlFor(this.deps.orm.em.fork())).findManyForMerchant(merchant.id, named)).map((account) => [
        account.id,
        account,
      ]),
    );
    body.rules.forEach((rule, i) => {
      const seen = new Set<string>();
      rule.accounts.forEach((id, j) => {
        const param = `rules[${i}][accounts][${j}]`;
        // Another merchant's, unknown, or of the other mode: one answer, so ids of others reveal nothing.
        if (accounts.get(id)?.livemode !== merchant.livemode)
          throw ApiError.badRequest(`No gateway account ${id} of this merchant's mode`, 'resource_missing', param);
        if (seen.has(id)) throw apiErrors.invalidParameter(param, `Invalid ${param}: ${id} is named twice in this rule`);
        seen.add(id);
      });
      const split = new Set<string>();
      (rule.split ?? []).forEach((share, k) => {
        const param = `rules[${i}][split][${k}][gateway_account]`;
        if (!seen.has(share.gateway_account))
          throw apiErrors.invalidParameter(param, `Invalid ${param}: ${share.gateway_account} is not one of this rule's accounts`);
        if (split.has(share.gateway_account))
          throw apiErrors.invalidParameter(param, `Invalid ${param}: ${share.gateway_account} has two shares in this split`);
        split.add(share.gateway_account);
      });
      const { min_amount: min, max_amount: max } = rule.match ?? {};
      if (min !== undefined && max !== undefined && min > max)
        throw apiErrors.invalidParameter(`rules[${i}][match][max_amount]`, `Invalid rules[${i}][match][max_amount]: less than min_amount`);
    });
  }

  private repository(): RoutingRepository {
    return new RoutingRepository(sqlFor(this.deps.orm.em.fork()));
  }
}
