import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import type { GatewayConnectors } from '../gateways/gateway-connectors';
import type { GatewayRegistry, PaymentGateway } from '../gateways/payment-gateway';
import type { GatewayAccountCredentials } from './gateway-account-credentials';
import type { GatewayAccountRecord } from './gateway-account-record';
import { GatewayAccountRepository } from './gateway-account-repository';
import type { PayoutNetwork } from '../payouts/payout-network';

/** Which gateway, and which of the merchant's accounts at it, a payment or refund goes through. */
export interface GatewayTarget {
  gateway: string;
  /** Absent for payments made before accounts existed, and for the built-in sandbox. */
  gatewayAccount?: string | null;
}

/**
 * Gives activities the adapter for a payment's gateway account. Credentials are loaded by account id
 * here, inside the activity, so they never travel through a workflow; an adapter is kept while its
 * account row is unchanged (a PATCH of the credentials moves `updated_at`, and with it the cache key).
 */
export class GatewayAdapters {
  private readonly cache = new Map<string, { version: number; adapter: PaymentGateway }>();
  private readonly payoutCache = new Map<string, { version: number; network: PayoutNetwork }>();

  constructor(
    private readonly deps: { orm: Orm; builtIn: GatewayRegistry; connectors: GatewayConnectors; credentials: GatewayAccountCredentials },
  ) {}

  async resolve(target: GatewayTarget): Promise<PaymentGateway> {
    if (!target.gatewayAccount) return this.deps.builtIn.get(target.gateway);
    // A disabled account is still loaded: its authorized payments are captured or voided, and its charges refunded, through it.
    const account = await this.load(target.gatewayAccount);
    const version = account.updatedAt.getTime();
    const cached = this.cache.get(account.id);
    if (cached && cached.version === version) return cached.adapter;
    const adapter = await this.deps.connectors.get(account.gateway).adapterFor(this.opened(account));
    this.cache.set(account.id, { version, adapter });
    return adapter;
  }

  /** The payouts of a gateway account (its balance to its own bank account), with the same caching as the adapters. */
  async payoutNetworkFor(gatewayAccountId: string): Promise<PayoutNetwork> {
    // A payout sent before its account was disabled is still followed through it.
    const account = await this.load(gatewayAccountId);
    const version = account.updatedAt.getTime();
    const cached = this.payoutCache.get(account.id);
    if (cached && cached.version === version) return cached.network;
    const connector = this.deps.connectors.get(account.gateway);
    if (!connector.payoutNetworkFor) throw new Error(`Gateway account ${account.id} is at ${account.gateway}, which has no payouts`);
    const network = await connector.payoutNetworkFor(this.opened(account));
    this.payoutCache.set(account.id, { version, network });
    return network;
  }

  private async load(gatewayAccountId: string): Promise<GatewayAccountRecord> {
    const account = await new GatewayAccountRepository(sqlFor(this.deps.orm.em.fork())).findById(gatewayAccountId);
    if (!account) throw new Error(`Gateway account ${gatewayAccountId} does not exist`);
    return account;
  }

  private opened(account: GatewayAccountRecord) {
    return { id: account.id, livemode: account.livemode, credentials: this.deps.credentials.open(account) };
  }
}
