/**
 * A merchant's routing rules and the pure decision they lead to: which of its gateway accounts a new
 * payment tries, in which order. No I/O: the router gathers the facts (accounts, cool-downs, the
 * card's brand, one random draw) and these functions decide, so a unit test can drive every case.
 */

export const CARD_BRANDS = ['visa', 'mastercard', 'amex', 'discover', 'diners', 'jcb', 'unionpay'] as const;
export type RoutingCardBrand = (typeof CARD_BRANDS)[number];

/** Attempts per payment when the merchant never set `max_attempts` (MAX_AUTHORIZATION_ATTEMPTS). */
export const DEFAULT_MAX_ATTEMPTS = 3;
export const MAX_ATTEMPTS_LIMIT = 5;

/** What a payment must look like for a rule to decide its route; an absent criterion matches anything. */
export interface RoutingMatch {
  currencies?: string[];
  cardBrands?: RoutingCardBrand[];
  /** Inclusive bounds, in major units of the payment's currency (as the payment's `amount`). */
  minAmount?: number;
  maxAmount?: number;
}

export interface RoutingSplitShare {
  gatewayAccount: string;
  weight: number;
}

export interface RoutingRule {
  match?: RoutingMatch;
  /** Gateway account ids in the order they are tried. */
  accounts: string[];
  /** Weighted draw of which account goes first; the rest follow in `accounts` order. */
  split?: RoutingSplitShare[];
}

/** A stored routing configuration: never changed in place, each PUT is a new version. */
export interface RoutingSettings {
  rules: RoutingRule[];
  maxAttempts: number;
}

export type RoutingSkipReason = 'cooling_down' | 'currency' | 'disabled' | 'source';

/**
 * Why a payment went where it went, fixed at creation: workflow data, so a replay and a later config
 * change never alter it. `rule` is the index of the rule that matched (null: the accounts by priority).
 */
export interface RoutingDecision {
  routingVersion: number;
  rule: number | null;
  /** The accounts the payment may try, in order; the first is `chosen`. */
  eligible: string[];
  /** The number in [0, 1) drawn for the rule's split; null when there was no split. */
  splitDraw: number | null;
  chosen: string;
  skipped: { gatewayAccount: string; reason: RoutingSkipReason }[];
}

/** The facts about a payment the rules look at. */
export interface RoutedPayment {
  currency?: string;
  /** The payment's amount in major units, as the API shows it (rules' bounds are in the same units). */
  amount?: number;
  /** Undefined when the source's brand cannot be known: then no rule naming brands matches. */
  cardBrand?: string;
}

/** The index of the first rule whose match fits the payment, or null. */
export function matchingRule(rules: RoutingRule[], payment: RoutedPayment): number | null {
  const index = rules.findIndex((rule) => fits(rule.match, payment));
  return index === -1 ? null : index;
}

function fits(match: RoutingMatch | undefined, payment: RoutedPayment): boolean {
  if (!match) return true;
  const currency = payment.currency?.toUpperCase();
  if (match.currencies && match.currencies.length > 0 && (currency === undefined || !match.currencies.includes(currency))) return false;
  if (match.cardBrands && match.cardBrands.length > 0) {
    if (payment.cardBrand === undefined || !(match.cardBrands as string[]).includes(payment.cardBrand)) return false;
  }
  // A bound cannot be judged without the amount: the rule does not match rather than guess.
  if (match.minAmount !== undefined && (payment.amount === undefined || payment.amount < match.minAmount)) return false;
  if (match.maxAmount !== undefined && (payment.amount === undefined || payment.amount > match.maxAmount)) return false;
  return true;
}

/**
 * The share a draw in [0, 1) lands on: shares take consecutive slices of [0, 1) proportional to their
 * weights, in the order given. Null for no shares.
 */
export function pickByWeight<T extends { weight: number }>(shares: T[], draw: number): T | null {
  const total = shares.reduce((sum, share) => sum + share.weight, 0);
  if (shares.length === 0 || total <= 0) return null;
  let upTo = 0;
  for (const share of shares) {
    upTo += share.weight;
    if (draw * total < upTo) return share;
  }
  // Only reached for a draw of 1 or more, which Math.random never gives: the last share.
  return shares[shares.length - 1];
}

/**
 * The candidates' order once the split is applied: the account the draw picks among the split's
 * eligible shares goes first, the others keep their order. Shares of accounts that cannot take the
 * payment are left out of the draw, so their traffic spreads over the rest by weight.
 */
export function applySplit(eligible: string[], split: RoutingSplitShare[] | undefined, draw: number): string[] {
  if (!split || split.length === 0) return eligible;
  const picked = pickByWeight(
    split.filter((share) => eligible.includes(share.gatewayAccount)),
    draw,
  );
  if (!picked) return eligible;
  return [picked.gatewayAccount, ...eligible.filter((id) => id !== picked.gatewayAccount)];
}

/** Why a candidate account cannot take this payment now, or null when it can. */
export type CandidateCheck = (accountId: string) => Promise<RoutingSkipReason | null>;

/**
 * The ordered accounts and the decision for a payment: candidates are checked in order, the ones
 * cooling down are skipped unless nothing else is left (an outage everywhere still gets tried), and
 * the split (when the rule has one) picks who goes first among the rest.
 */
export async function decideRoute(options: {
  version: number;
  rule: number | null;
  candidates: string[];
  split?: RoutingSplitShare[];
  check: CandidateCheck;
  coolingDown: ReadonlySet<string>;
  draw: () => number;
}): Promise<{ ordered: string[]; skipped: RoutingDecision['skipped']; decision: RoutingDecision | null }> {
  const skipped: RoutingDecision['skipped'] = [];
  const usable: string[] = [];
  const cooling: string[] = [];
  for (const id of options.candidates) {
    const reason = await options.check(id);
    if (reason) skipped.push({ gatewayAccount: id, reason });
    else if (options.coolingDown.has(id)) cooling.push(id);
    else usable.push(id);
  }
  const fallBackToCooling = usable.length === 0;
  const eligibleBeforeSplit = fallBackToCooling ? cooling : usable;
  if (!fallBackToCooling) skipped.push(...cooling.map((id) => ({ gatewayAccount: id, reason: 'cooling_down' as const })));
  const hasSplit = Boolean(options.split && options.split.length > 0) && eligibleBeforeSplit.length > 0;
  const splitDraw = hasSplit ? options.draw() : null;
  const ordered = splitDraw === null ? eligibleBeforeSplit : applySplit(eligibleBeforeSplit, options.split, splitDraw);
  const [chosen] = ordered;
  return {
    ordered,
    skipped,
    decision:
      chosen === undefined ? null : { routingVersion: options.version, rule: options.rule, eligible: ordered, splitDraw, chosen, skipped },
  };
}
