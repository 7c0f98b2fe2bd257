import type { PayoutNetwork, PayoutNetworks, PayoutTarget } from './payout-network';

/**
 * The networks payouts travel over: the sandbox bank, and a gateway account's payouts looked up
 * (credentials and all) inside the activity that needs them, so no secret ever enters a workflow.
 */
export class PayoutNetworkDirectory implements PayoutNetworks {
  constructor(
    private readonly deps: {
      sandboxBank: PayoutNetwork;
      /** A gateway account's payouts; absent in a worker without gateway accounts. */
      gatewayPayouts?: (gatewayAccountId: string) => Promise<PayoutNetwork>;
    },
  ) {}

  async resolve(target: PayoutTarget): Promise<PayoutNetwork> {
    if (target.network === 'sandbox_bank') return this.deps.sandboxBank;
    if (!target.gatewayAccount) throw new Error(`A ${target.network} payout needs its gateway account`);
    if (!this.deps.gatewayPayouts) throw new Error(`This worker has no gateway accounts for ${target.network} payouts`);
    const network = await this.deps.gatewayPayouts(target.gatewayAccount);
    if (network.name !== target.network)
      throw new Error(`Gateway account ${target.gatewayAccount} pays out over ${network.name}, not ${target.network}`);
    return network;
  }
}
