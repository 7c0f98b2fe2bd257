import { apiTimestamp, apiTimestampOrNull } from '../shared/timestamps';
import type { GatewayAccountRecord } from './gateway-account-record';

/** A gateway account as the API shows it: everything but the credentials, of which only the last 4 characters. */
export interface GatewayAccountJson {
  id: string;
  object: 'gateway_account';
  gateway: GatewayAccountRecord['gateway'];
  livemode: boolean;
  status: GatewayAccountRecord['status'];
  currencies: string[];
  description: string | null;
  priority: number;
  credentials_last4: string | null;
  webhook_secret_configured: boolean;
  webhook_url_path: string | null;
  verified_at: string | null;
  disabled_at: string | null;
  created_at: string;
}

export function renderGatewayAccount(account: GatewayAccountRecord): GatewayAccountJson {
  return {
    id: account.id,
    object: 'gateway_account',
    gateway: account.gateway,
    livemode: account.livemode,
    status: account.status,
    currencies: account.currencies,
    description: account.description,
    priority: account.priority,
    credentials_last4: account.credentialsLast4,
    webhook_secret_configured: account.hasWebhookSecret,
    webhook_url_path: account.gateway === 'sandbox' ? null : `/v1/gateway_events/${account.gateway}/${account.id}`,
    verified_at: apiTimestampOrNull(account.verifiedAt),
    disabled_at: apiTimestampOrNull(account.disabledAt),
    created_at: apiTimestamp(account.createdAt),
  };
}
