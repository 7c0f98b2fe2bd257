import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import type { GatewayConnectors } from '../gateways/gateway-connectors';
import type { GatewayRegistry } from '../gateways/payment-gateway';
import type { Merchant } from '../merchants/merchant-record';
import { ApiError } from '../shared/api-error';
import { PAYMENT_FAILURES } from '../shared/failure-types';
import { CardTokenSources } from '../vault/card-token-sources';
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
}

/**
 * Picks the gateway account for a payment before anything starts. A merchant's enabled accounts of its
 * own mode are tried in priority order; the first that takes the currency and can charge the source
 * wins. A test-mode merchant without any account keeps the built-in sandbox; a live-mode merchant
 * needs a live account. (Failover to the next account after a soft decline is the routing issue's work.)
 */
export class GatewayRouter {
  constructor(
    private readonly deps: { orm: Orm; builtIn: GatewayRegistry; connectors: GatewayConnectors; cardTokens?: CardTokenSources },
  ) {}

  /**
   * The route for a payment of `currency` from `source`.
   * @throws 400 livemode_gateway_unavailable, 400 no_gateway_account, 400 invalid_source
   */
  async route(
    merchant: Pick<Merchant, 'id' | 'livemode'>,
    request: { currency?: string; source: string; gatewayAccount?: string | null },
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
    const currency = request.currency?.toUpperCase();
    const takingCurrency = accounts.filter((account) => takesCurrency(account, currency));
    if (takingCurrency.length === 0)
      throw ApiError.badRequest(`No enabled gateway account of this merchant takes ${currency} payments`, 'no_gateway_account', 'currency');
    const eligible: GatewayAccountRecord[] = [];
    for (const account of takingCurrency) {
      const connector = this.deps.connectors.get(account.gateway);
      if (await this.canCharge(merchant.id, request.source, (source) => connector.recognizesSource(source), account.gateway))
        eligible.push(account);
    }
    const [first, ...rest] = eligible;
    if (!first) throw invalidSource();
    return {
      gateway: first.gateway,
      gatewayAccount: first.id,
      livemode: first.livemode,
      ...(rest.length > 0 ? { fallbacks: rest.map((account) => ({ gateway: account.gateway, gatewayAccount: account.id })) } : {}),
    };
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
