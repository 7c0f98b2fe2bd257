import { ApplicationFailure } from '@temporalio/activity';
import type { Orm } from '../src/db/orm';
import type { GatewayRegistry } from '../src/gateways/payment-gateway';
import type { GatewayAdapters } from '../src/gateway-accounts/gateway-account-adapters';
import { FraudRepository } from '../src/fraud/fraud-repository';
import { evaluateFraudRules, type FraudPolicy, type ReviewRule } from '../src/fraud/fraud-rules';
import { PAYMENT_FAILURES } from '../src/shared/failure-types';

export interface FraudActivityDeps {
  orm: Orm;
  gateways: GatewayRegistry;
  adapters?: GatewayAdapters;
  fraudPolicy: FraudPolicy;
  now?: () => Date;
}

export interface AssessPaymentRiskInput {
  paymentId: string;
  merchantId: string;
  amountMinor: number;
  currency: string;
  source: string;
  gateway: string;
  /** The merchant's gateway account, whose risk signal counts; absent for the built-in sandbox. */
  gatewayAccount?: string | null;
}

export interface AssessPaymentRiskResult {
  riskLevel: string;
  /** Set when the payment must wait for a person's decision; absent otherwise (recorded results without it still replay). */
  review?: ReviewRule;
}

export function createFraudActivities({ orm, gateways, adapters, fraudPolicy, now = () => new Date() }: FraudActivityDeps) {
  return {
    /** Runs the fraud rules; a block is a non-retryable `FraudBlocked` failure whose details name the rule, a hold for review is `review`. */
    async assessPaymentRisk(input: AssessPaymentRiskInput): Promise<AssessPaymentRiskResult> {
      const gateway = adapters ? await adapters.resolve(input) : gateways.get(input.gateway);
      const verdict = await evaluateFraudRules(new FraudRepository(orm.em.fork()), gateway, fraudPolicy, input, now());
      if (verdict.blocked) {
        throw ApplicationFailure.create({
          type: 'FraudBlocked',
          message: PAYMENT_FAILURES.FraudBlocked.message,
          nonRetryable: true,
          details: [{ rule: verdict.rule }],
        });
      }
      return verdict.review ? { riskLevel: verdict.riskLevel, review: verdict.review } : { riskLevel: verdict.riskLevel };
    },
  };
}
