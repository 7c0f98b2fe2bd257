import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import type { GatewayConnectors } from '../gateways/gateway-connectors';
import type { GatewayRegistry } from '../gateways/payment-gateway';
import type { Merchant } from '../merchants/merchant-record';
import { ApiError } from '../shared/api-error';
import { PAYMENT_FAILURES } from '../shared/failure-types';
import { CardTokenSources } from '../vault/card-token-sources';
import { cardBrandOf } from '../routing/card-brands';
import { GatewayCoolDowns } from '../routing/gateway-cool-downs';
import { RoutingRepository } from '../routing/routing-repository';
import { decideRoute, DEFAULT_MAX_ATTEMPTS, matchingRule, type RoutingDecision, type RoutingSettings } from '../routing/routing-rules';
import { minorToMajorNumber } from '../shared/money';
import type { GatewayAccountRecord } from './gateway-account-record';
import { GatewayAccountRepository } from './gateway-account-repository';

/** Where a new payment (or a customer's default source) goes: the merchant's first fitting account, or the built-in sandbox. */
export interface GatewayRoute {
  gateway: string;
  /** Null for the built-in sandbox of a test-mode merchant without accounts. */
  gatewayAccount: string | null;
  livemode: boolean;
  /** Every eligible account in routing order, the chosen one first: where a soft decline or an outage fails over to. */
  fallbacks?: { gateway: string; gatewayAccount: string }[];
  /** Attempts at most, the first included (the merchant's routing `max_attempts`); set with `decision`. */
  maxAttempts?: number;
  /** Why the payment goes where it goes; absent when it named its account or took the built-in sandbox. */
  decision?: RoutingDecision;
}

/**
 * Picks the gateway account for a payment before anything starts. The first of the merchant's routing
 * rules that fits the payment names the candidate accounts in order (its split draws which goes first);
 * with no rule fitting, the merchant's enabled accounts of its own mode in priority order. Candidates
 * that are disabled, do not take the currency, cannot charge the source, or are cooling down after an
 * outage are skipped; the first left is chosen and the others are where the payment fails over to. A
 * test-mode merchant without any account keeps the built-in sandbox; a live-mode merchant needs a live account.
 */
export class GatewayRouter {
  constructor(
    private readonly deps: {
      orm: Orm;
      builtIn: GatewayRegistry;
      connectors: GatewayConnectors;
      cardTokens?: CardTokenSources;
      coolDowns?: GatewayCoolDowns;
      /** The split's draw, in [0, 1); recorded in the decision, so a replay never draws again. */
      random?: () => number;
    },
  ) {}

  /**
   * The route for a payment of `currency` from `source`.
   * @throws 400 livemode_gateway_unavailable, 400 no_gateway_account, 400 invalid_source
   */
  async route(
    merchant: Pick<Merchant, 'id' | 'livemode'>,
    request: { currency?: string; amountMinor?: number; source: string; gatewayAccount?: string | null },
  ): Promise<GatewayRoute> {
    const repository = new GatewayAccountRepository(sqlFor(this.deps.orm.em.fork()));
    const routable = await repository.listRoutable(merchant.id, merchant.livemode);
    if (request.gatewayAccount)
      return this.named(merchant, routable, request as { currency?: string; source: string; gatewayAccount: string });
    const accounts = routable;
    if (accounts.length === 0) {
      if (await repository.hasAny(merchant.id, merchant.livemode))
        throw ApiError.badRequest('Every gateway account of this merchant is disabled', 'no_gateway_account', 'gateway_account');
      if (merchant.livemode)
        throw ApiError.badRequest(
          'No live-mode gateway is configured: add a live gateway account (POST /v1/gateway_accounts); the sandbox serves test mode only',
          'livemode_gateway_unavailable',
        );
      const sandbox = this.deps.builtIn.get(this.deps.builtIn.defaultGateway);
      if (!(await this.canCharge(merchant.id, request.source, (source) => sandbox.recognizesSource(source), 'sandbox')))
        throw invalidSource();
      return { gateway: sandbox.name, gatewayAccount: null, livemode: false };
    }
    return this.byRules(merchant, accounts, request);
  }

  /**
   * The route the merchant's rules (or, with none fitting, the priority order) give, with its decision.
   * @throws 400 no_gateway_account, 400 invalid_source
   */
  private async byRules(
    merchant: Pick<Merchant, 'id'>,
    routable: GatewayAccountRecord[],
    request: { currency?: string; amountMinor?: number; source: string },
  ): Promise<GatewayRoute> {
    const settings = await this.settingsOf(merchant.id);
    const currency = request.currency?.toUpperCase();
    // The brand is looked up only when a rule asks for it: a vault token costs a query.
    const needsBrand = settings.rules.some((rule) => (rule.match?.cardBrands?.length ?? 0) > 0);
    const ruleIndex = matchingRule(settings.rules, {
      currency,
      amount: request.amountMinor !== undefined && currency ? minorToMajorNumber(request.amountMinor, currency) : undefined,
      cardBrand: needsBrand ? await cardBrandOf(this.deps.orm, merchant.id, request.source) : undefined,
    });
    const rule = ruleIndex === null ? undefined : settings.rules[ruleIndex];
    const byId = new Map(routable.map((account) => [account.id, account]));
    const candidates = rule ? rule.accounts : routable.map((account) => account.id);
    const coolDowns = this.deps.coolDowns ?? new GatewayCoolDowns({ orm: this.deps.orm });
    const cooling = await coolDowns.coolingDown(candidates.filter((id) => byId.has(id)));
    const { ordered, skipped, decision } = await decideRoute({
      version: settings.version,
      rule: ruleIndex,
      candidates,
      split: rule?.split,
      coolingDown: new Set(cooling.map((account) => account.gatewayAccount)),
      draw: this.deps.random ?? Math.random,
      check: async (id) => {
        const account = byId.get(id);
        // Rules may name an account that was disabled since: skipped, and the decision says why.
        if (!account) return 'disabled';
        if (!takesCurrency(account, currency)) return 'currency';
        const connector = this.deps.connectors.get(account.gateway);
        return (await this.canCharge(merchant.id, request.source, (source) => connector.recognizesSource(source), account.gateway))
          ? null
          : 'source';
      },
    });
    if (!decision) {
      if (skipped.some((skip) => skip.reason === 'source')) throw invalidSource();
      if (skipped.some((skip) => skip.reason === 'currency'))
        throw ApiError.badRequest(
          `No enabled gateway account of this merchant takes ${currency} payments`,
          'no_gateway_account',
          'currency',
        );
      throw ApiError.badRequest(`Every gateway account of routing rule ${ruleIndex} is disabled`, 'no_gateway_account', 'gateway_account');
    }
    const accountOf = (id: string) => byId.get(id) as GatewayAccountRecord;
    const [first, ...rest] = ordered.map(accountOf);
    return {
      gateway: first.gateway,
      gatewayAccount: first.id,
      livemode: first.livemode,
      ...(rest.length > 0 ? { fallbacks: rest.map((account) => ({ gateway: account.gateway, gatewayAccount: account.id })) } : {}),
      maxAttempts: settings.maxAttempts,
      decision,
    };
  }

  /** The merchant's current routing configuration: no rules and the default attempts before its first PUT. */
  private async settingsOf(merchantId: string): Promise<RoutingSettings & { version: number }> {
    const latest = await new RoutingRepository(sqlFor(this.deps.orm.em.fork())).latest(merchantId);
    return latest ? { ...latest.settings, version: latest.version } : { rules: [], maxAttempts: DEFAULT_MAX_ATTEMPTS, version: 0 };
  }

  /**
   * The account the payment names, when it could take the payment: the merchant's own, enabled, of its mode.
   * @throws 400 resource_missing (gateway_account), 400 no_gateway_account, 400 invalid_source
   */
  private async named(
    merchant: Pick<Merchant, 'id'>,
    routable: GatewayAccountRecord[],
    request: { currency?: string; source: string; gatewayAccount: string },
  ): Promise<GatewayRoute> {
    const account = routable.find((candidate) => candidate.id === request.gatewayAccount);
    // Another merchant's, unknown, disabled or of the other mode: the same answer, so ids of others reveal nothing.
    if (!account)
      throw ApiError.badRequest(
        `No enabled gateway account ${request.gatewayAccount} of this merchant's mode`,
        'resource_missing',
        'gateway_account',
      );
    if (!takesCurrency(account, request.currency?.toUpperCase()))
      throw ApiError.badRequest(
        `Gateway account ${account.id} does not take ${request.currency} payments`,
        'no_gateway_account',
        'currency',
      );
    const connector = this.deps.connectors.get(account.gateway);
    if (!(await this.canCharge(merchant.id, request.source, (source) => connector.recognizesSource(source), account.gateway)))
      throw invalidSource();
    return { gateway: account.gateway, gatewayAccount: account.id, livemode: account.livemode };
  }

  /** A source the gateway recognizes itself, or the merchant's own valid vault token (the sandbox by its stored behaviour). */
  private async canCharge(merchantId: string, source: string, recognizes: (source: string) => boolean, gateway: string): Promise<boolean> {
    if (recognizes(source)) return true;
    const tokens = this.deps.cardTokens ?? new CardTokenSources(this.deps.orm);
    const behaviour = await tokens.usableBy(merchantId, source, new Date());
    if (behaviour === undefined) return false;
    // The sandbox decides by the behaviour the card was given when tokenized; a real gateway is sent the card itself.
    return gateway === 'sandbox' ? recognizes(behaviour) : true;
  }
}

function takesCurrency(account: GatewayAccountRecord, currency: string | undefined): boolean {
  return currency === undefined || account.currencies.length === 0 || account.currencies.includes(currency);
}

function invalidSource(): ApiError {
  return ApiError.badRequest(PAYMENT_FAILURES.InvalidSource.message, PAYMENT_FAILURES.InvalidSource.code, 'source');
}
