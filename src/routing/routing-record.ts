import type { RoutingSettings } from './routing-rules';

/** One version of a merchant's routing configuration, as stored; a new version is a new row. */
export interface RoutingConfigurationRecord {
  merchantId: string;
  /** 1 for the first PUT; 0 only for the default a merchant has before any. */
  version: number;
  settings: RoutingSettings;
  /** The id the storing request claimed its Idempotency-Key with: a retry finds its version by it. */
  requestId: string;
  createdAt: Date;
}

/** One unavailable answer of a gateway account: what the router's cool-down counts. */
export interface GatewayAccountOutageRecord {
  gatewayAccountId: string;
  gateway: string;
  occurredAt: Date;
}
