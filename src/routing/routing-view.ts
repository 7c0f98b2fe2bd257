import { apiTimestampOrNull } from '../shared/timestamps';
import type { RoutingConfigurationRecord } from './routing-record';
import type { RoutingDecision, RoutingRule, RoutingSettings, RoutingSkipReason } from './routing-rules';

export interface RoutingRuleJson {
  match?: { currencies?: string[]; card_brands?: string[]; min_amount?: number; max_amount?: number };
  accounts: string[];
  split?: { gateway_account: string; weight: number }[];
}

/** The merchant's routing configuration as the API shows it. */
export interface RoutingJson {
  object: 'routing';
  version: number;
  rules: RoutingRuleJson[];
  max_attempts: number;
  /** Null before the first PUT (version 0). */
  created_at: string | null;
}

export interface RoutingDecisionJson {
  routing_version: number;
  rule: number | null;
  eligible: string[];
  split_draw: number | null;
  chosen: string;
  skipped: { gateway_account: string; reason: RoutingSkipReason }[];
}

function renderRule(rule: RoutingRule): RoutingRuleJson {
  const match = rule.match;
  return {
    ...(match
      ? {
          match: {
            ...(match.currencies !== undefined ? { currencies: match.currencies } : {}),
            ...(match.cardBrands !== undefined ? { card_brands: match.cardBrands } : {}),
            ...(match.minAmount !== undefined ? { min_amount: match.minAmount } : {}),
            ...(match.maxAmount !== undefined ? { max_amount: match.maxAmount } : {}),
          },
        }
      : {}),
    accounts: rule.accounts,
    ...(rule.split ? { split: rule.split.map((share) => ({ gateway_account: share.gatewayAccount, weight: share.weight })) } : {}),
  };
}

export function renderRouting(version: number, settings: RoutingSettings, createdAt: Date | null): RoutingJson {
  return {
    object: 'routing',
    version,
    rules: settings.rules.map(renderRule),
    max_attempts: settings.maxAttempts,
    created_at: apiTimestampOrNull(createdAt),
  };
}

export function renderRoutingRecord(record: RoutingConfigurationRecord): RoutingJson {
  return renderRouting(record.version, record.settings, record.createdAt);
}

/** A payment's routing decision in the API's snake_case. */
export function renderRoutingDecision(decision: RoutingDecision): RoutingDecisionJson {
  return {
    routing_version: decision.routingVersion,
    rule: decision.rule,
    eligible: decision.eligible,
    split_draw: decision.splitDraw,
    chosen: decision.chosen,
    skipped: decision.skipped.map((skip) => ({ gateway_account: skip.gatewayAccount, reason: skip.reason })),
  };
}
