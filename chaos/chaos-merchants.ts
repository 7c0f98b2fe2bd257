import type { ChaosClient } from './chaos-client';
import type { ChaosMerchant } from './chaos-load-actions';
import type { ChaosAdyen } from './chaos-adyen';
import type { ChaosStack } from './chaos-stack';
import type { ChaosStripe } from './chaos-stripe';
import { ENDPOINT_BEHAVIOURS, type ChaosWebhookReceiver } from './chaos-webhooks';

/**
 * The run's merchants, before any fault: `merchants` on the built-in sandbox, then `stripeMerchants`
 * with a Stripe account connected at the fake, then `adyenMerchants` with an Adyen account at its fake
 * and a sandbox account behind it; every one with a webhook endpoint of each behaviour.
 */
export async function createMerchants(
  client: ChaosClient,
  stack: Pick<ChaosStack, 'adminKey' | 'apiUrl'>,
  receiver: ChaosWebhookReceiver,
  gateways: { stripe: ChaosStripe; adyen: ChaosAdyen },
  counts: { merchants: number; stripeMerchants: number; adyenMerchants: number },
): Promise<{ merchants: ChaosMerchant[]; endpoints: Map<string, { id: string; merchantId: string }> }> {
  const merchants: ChaosMerchant[] = [];
  const endpoints = new Map<string, { id: string; merchantId: string }>();
  for (let i = 0; i < counts.merchants + counts.stripeMerchants + counts.adyenMerchants; i++) {
    const created = await client.call('POST', '/v1/merchants', {
      apiKey: stack.adminKey,
      // The first merchant pays a fee per payout, so the payout fee's ledger leg is in the run.
      body: { name: `Chaos merchant ${i}`, ...(i === 0 ? { payout_fee_minor: 25 } : {}) },
      idempotencyKey: `chaos-merchant-${i}`,
    });
    if (created.status !== 201) throw new Error(`creating a merchant answered ${created.status}: ${JSON.stringify(created.body)}`);
    const merchant = { id: created.body.id as string, apiKey: created.body.api_key as string };
    merchants.push(merchant);
    if (i >= counts.merchants + counts.stripeMerchants) await gateways.adyen.connect(client, stack.apiUrl, merchant);
    else if (i >= counts.merchants) await gateways.stripe.connect(client, stack.apiUrl, merchant);
    for (const behaviour of ENDPOINT_BEHAVIOURS) {
      const url = receiver.addEndpoint(`${merchant.id}-${behaviour}`, behaviour);
      const endpoint = await client.call('POST', '/v1/webhook_endpoints', {
        apiKey: merchant.apiKey,
        body: { url, enabled_events: ['*'] },
        idempotencyKey: `chaos-endpoint-${merchant.id}-${behaviour}`,
      });
      if (endpoint.status !== 201) throw new Error(`creating an endpoint answered ${endpoint.status}: ${JSON.stringify(endpoint.body)}`);
      receiver.setSecret(url, endpoint.body.secret);
      endpoints.set(url, { id: endpoint.body.id, merchantId: merchant.id });
    }
  }
  return { merchants, endpoints };
}
