import type { PaymentGateway, RiskLevel } from '../gateways/payment-gateway';
import type { FraudRepository } from './fraud-repository';

/** Platform defaults; a merchant's own amount limit overrides the first. */
export interface FraudPolicy {
  maxAmountMinor: number;
  velocityLimit: number;
  velocityWindowMs: number;
  /** Payments above this amount (minor units, any currency) are held for manual review; undefined: no amount review. */
  reviewAmountMinor?: number;
}

export type FraudRule = 'amount_limit' | 'blocklist' | 'velocity' | 'highest_risk_level';

/** Why a payment is held for manual review. */
export type ReviewRule = 'elevated_risk_level' | 'review_amount';

/** Allowed (perhaps only after a person reviews it), or blocked by a rule. */
export type FraudVerdict =
  { blocked: false; riskLevel: RiskLevel; review?: ReviewRule } | { blocked: true; rule: FraudRule; riskLevel: RiskLevel };

export interface FraudSubject {
  paymentId: string;
  merchantId: string;
  amountMinor: number;
  source: string;
}

/**
 * The rules: merchant amount limit, blocklist, velocity per source, gateway risk level block; an
 * elevated risk level or an amount above the review threshold hold the payment for review. Their inputs come from one query, and the velocity count stops at the limit: a
 * busy card costs no more to check than a quiet one.
 */
export async function evaluateFraudRules(
  fraud: FraudRepository,
  gateway: PaymentGateway,
  policy: FraudPolicy,
  subject: FraudSubject,
  now: Date,
): Promise<FraudVerdict> {
  const riskLevel = await gateway.riskLevel(subject.source);
  const inputs = await fraud.readRuleInputs(subject, {
    defaultAmountLimitMinor: policy.maxAmountMinor,
    since: new Date(now.getTime() - policy.velocityWindowMs),
    velocityLimit: policy.velocityLimit,
  });
  if (!inputs) throw new Error(`Merchant ${subject.merchantId} does not exist`);
  if (subject.amountMinor > inputs.amountLimitMinor) return { blocked: true, rule: 'amount_limit', riskLevel };
  if (inputs.blocklisted) return { blocked: true, rule: 'blocklist', riskLevel };
  if (inputs.recentPayments >= policy.velocityLimit) return { blocked: true, rule: 'velocity', riskLevel };
  if (riskLevel === 'highest') return { blocked: true, rule: 'highest_risk_level', riskLevel };
  if (riskLevel === 'elevated') return { blocked: false, riskLevel, review: 'elevated_risk_level' };
  if (policy.reviewAmountMinor !== undefined && subject.amountMinor > policy.reviewAmountMinor)
    return { blocked: false, riskLevel, review: 'review_amount' };
  return { blocked: false, riskLevel };
}
