import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlFor } from '../db/sql';

/** What the fraud rules read about one payment: the merchant's amount limit, the blocklist, and the source's recent payments. */
export interface FraudRuleInputs {
  amountLimitMinor: number;
  blocklisted: boolean;
  /** Payments of the same source (or card) since `since`, counted only up to `velocityLimit`. */
  recentPayments: number;
}

/** The fraud rules' reads of `fraud_blocklist` and of the merchants, card tokens and payments they judge, on an `EntityManager` fork. */
export class FraudRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * The rules' inputs for one payment in one query; the velocity count stops at the limit, so a
   * busy card costs no more to check than a quiet one. Null when the merchant does not exist.
   */
  async readRuleInputs(
    subject: { paymentId: string; merchantId: string; source: string },
    limits: { defaultAmountLimitMinor: number; since: Date; velocityLimit: number },
  ): Promise<FraudRuleInputs | null> {
    // A vault token counts as its card: every token of the merchant with the same fingerprint is the same source,
    // so tokenizing a card again dodges neither the velocity limit nor a blocklisted fingerprint.
    const [inputs] = await sqlFor(this.em).query<{ amount_limit: string; blocklisted: boolean; recent: string }>(
      `with card as (select merchant_id, fingerprint from card_tokens where id = ?),
          same_card as (select ?::text as id
                        union select t.id from card c join card_tokens t on t.merchant_id = c.merchant_id and t.fingerprint = c.fingerprint)
     select coalesce(m.max_payment_amount_minor, ?) as amount_limit,
            exists (select 1 from fraud_blocklist b
                     where ((b.kind = 'source' and b.value = ?) or (b.kind = 'card_fingerprint' and b.value in (select fingerprint from card)))
                       and (b.merchant_id = m.id or b.merchant_id is null)) as blocklisted,
            (select count(*) from (select 1 from payments p
                                    where p.merchant_id = m.id and p.source in (select id from same_card) and p.created_at >= ? and p.id <> ?
                                    limit ?) as recent) as recent
       from merchants m where m.id = ?`,
      [
        subject.source,
        subject.source,
        limits.defaultAmountLimitMinor,
        subject.source,
        limits.since,
        subject.paymentId,
        limits.velocityLimit,
        subject.merchantId,
      ],
    );
    if (!inputs) return null;
    return { amountLimitMinor: Number(inputs.amount_limit), blocklisted: inputs.blocklisted, recentPayments: Number(inputs.recent) };
  }
}
