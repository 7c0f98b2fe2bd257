import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import { gatewayAccountCoolingDown } from '../metrics/metrics';
import { GatewayOutageRepository, type CoolDownPolicy, type CoolingDownAccount } from './gateway-outage-repository';

/** 5 unavailable answers within a minute take an account out of new routes for 2 minutes. */
export const DEFAULT_COOL_DOWN_POLICY: CoolDownPolicy = { threshold: 5, windowMs: 60_000, coolDownMs: 120_000 };

/**
 * Accounts with an outage, shared by the processes through PostgreSQL: the worker's authorize activity
 * records unavailable answers, the API's router and /health read who is cooling down. Each read also
 * refreshes this process's gauge, so /metrics shows what the last route or health check saw.
 */
export class GatewayCoolDowns {
  constructor(private readonly deps: { orm: Orm; policy?: CoolDownPolicy; now?: () => Date }) {}

  /** Records an unavailable answer of an account. Never throws: losing one record must not turn an outage into another failure. */
  async recordUnavailable(gatewayAccountId: string, gateway: string): Promise<void> {
    try {
      await this.repository().record({ gatewayAccountId, gateway, occurredAt: this.now() });
    } catch {
      // The cool-down is a routing hint; the payment's own handling of the outage does not depend on it.
    }
  }

  /** The accounts cooling down now (of those given, or all). */
  async coolingDown(accountIds?: string[]): Promise<CoolingDownAccount[]> {
    const cooling = await this.repository().coolingDown(this.now(), this.deps.policy ?? DEFAULT_COOL_DOWN_POLICY, accountIds);
    if (!accountIds) {
      gatewayAccountCoolingDown.reset();
      for (const account of cooling)
        gatewayAccountCoolingDown.set({ gateway: account.gateway, gateway_account: account.gatewayAccount }, 1);
    } else {
      for (const id of accountIds) {
        const found = cooling.find((account) => account.gatewayAccount === id);
        if (found) gatewayAccountCoolingDown.set({ gateway: found.gateway, gateway_account: id }, 1);
        else gatewayAccountCoolingDown.remove({ gateway_account: id });
      }
    }
    return cooling;
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  private repository(): GatewayOutageRepository {
    return new GatewayOutageRepository(sqlFor(this.deps.orm.em.fork()));
  }
}
