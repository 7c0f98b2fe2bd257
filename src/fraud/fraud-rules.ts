import type { EntityManager } from '@mikro-orm/postgresql';
import type { PaymentGateway, RiskLevel } from '../gateways/payment-gateway';
import { MerchantEntity } from '../merchants/merchant-entities';
import { PaymentRepository } from '../payments/payment-repository';
import { BlocklistEntryEntity } from './blocklist-entity';

/** Platform defaults; a merchant's own amount limit overrides the first. */
export interface FraudPolicy {
  maxAmountMinor: number;
  velocityLimit: number;
  velocityWindowMs: number;
}

export type FraudRule = 'amount_limit' | 'blocklist' | 'velocity' | 'highest_risk_level';

export type FraudVerdict =
  | { blocked: false; riskLevel: RiskLevel }
  | { blocked: true; rule: FraudRule; riskLevel: RiskLevel };

export interface FraudSubject {
  paymentId: string;
  merchantId: string;
  amountMinor: number;
  source: string;
}

/** The first version of the rules: merchant amount limit, blocklist, velocity per source, gateway risk level. */
export async function evaluateFraudRules(
  em: EntityManager, gateway: PaymentGateway, policy: FraudPolicy, subject: FraudSubject, now: Date,
): Promise<FraudVerdict> {
  const riskLevel = await gateway.riskLevel(subject.source);
  const merchant = await em.findOneOrFail(MerchantEntity, { id: subject.merchantId });
  const limit = merchant.maxPaymentAmountMinor ?? policy.maxAmountMinor;
  if (subject.amountMinor > limit) return { blocked: true, rule: 'amount_limit', riskLevel };

  const blocked = await em.count(BlocklistEntryEntity, {
    kind: 'source', value: subject.source, $or: [{ merchantId: subject.merchantId }, { merchantId: null }],
  });
  if (blocked > 0) return { blocked: true, rule: 'blocklist', riskLevel };

  const since = new Date(now.getTime() - policy.velocityWindowMs);
  const recent = await new PaymentRepository(em).countRecentBySource(subject.merchantId, subject.source, since, subject.paymentId);
  if (recent >= policy.velocityLimit) return { blocked: true, rule: 'velocity', riskLevel };

  if (riskLevel === 'highest') return { blocked: true, rule: 'highest_risk_level', riskLevel };
  return { blocked: false, riskLevel };
}
