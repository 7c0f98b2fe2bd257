import type { GatewayEvent } from './sandbox-network';

/** An event the sandbox network scheduled itself, as `sandbox_network_events` keeps it until it is accepted. */
export interface SandboxNetworkEventRow {
  id: string;
  type: GatewayEvent['type'];
  payload: Record<string, unknown>;
  /** Deliveries begun, this one included. */
  attempts: number;
}
