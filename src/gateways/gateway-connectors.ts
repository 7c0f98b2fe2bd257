import type { GatewayConnector, GatewayName } from './gateway-connector';

/** The connectors this deployment has, by gateway name: accounts can be created only at these. */
export class GatewayConnectors {
  private readonly byName = new Map<string, GatewayConnector>();

  constructor(connectors: GatewayConnector[]) {
    for (const connector of connectors) this.byName.set(connector.name, connector);
  }

  get(name: GatewayName | string): GatewayConnector {
    const connector = this.byName.get(name);
    if (!connector) throw new Error(`No connector for gateway ${name}`);
    return connector;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  all(): GatewayConnector[] {
    return [...this.byName.values()];
  }
}
