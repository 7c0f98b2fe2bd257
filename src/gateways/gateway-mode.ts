import type { Merchant } from '../merchants/merchant-record';
import { ApiError } from '../shared/api-error';
import type { PaymentGateway } from './payment-gateway';

/**
 * A live-mode merchant's charge must never reach a test gateway: the sandbox serves test mode
 * only, and until a live gateway is configured live-mode payments are refused before anything starts.
 */
export function assertGatewayServesMode(gateway: PaymentGateway, merchant: Pick<Merchant, 'livemode'>): void {
  if (merchant.livemode && !gateway.livemode) {
    throw ApiError.badRequest(
      `No live-mode gateway is configured: the ${gateway.name} gateway serves test mode only`,
      'livemode_gateway_unavailable',
    );
  }
}
