import type { GatewayName } from '../gateways/gateway-connector';

export type GatewayAccountStatus = 'verified' | 'disabled';

/**
 * A merchant's account at a gateway, as stored. The credentials exist only sealed under the vault's
 * key ring (`credentialsKeyId` names the key, for rotation); what the merchant sees again is their last 4.
 */
export interface GatewayAccountRecord {
  id: string;
  merchantId: string;
  gateway: GatewayName;
  livemode: boolean;
  status: GatewayAccountStatus;
  /** Upper-case ISO codes this account takes; empty: every currency. */
  currencies: string[];
  description: string | null;
  /** Lower runs first when several accounts could take a payment. */
  priority: number;
  credentialsKeyId: string | null;
  credentialsCiphertext: Buffer | null;
  credentialsLast4: string | null;
  hasWebhookSecret: boolean;
  verifiedAt: Date | null;
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The associated data sealed credentials are bound to: copied onto another account, they fail to open. */
export function credentialsBinding(accountId: string): string {
  return `${accountId}:gateway_credentials`;
}

export const DEFAULT_GATEWAY_ACCOUNT_PRIORITY = 100;
