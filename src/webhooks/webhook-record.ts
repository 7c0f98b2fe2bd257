import { EntitySchema } from '@mikro-orm/core';

export interface WebhookEndpoint {
  id: string;
  merchantId: string;
  url: string;
  description?: string | null;
  enabledEvents: string[];
  status: 'enabled' | 'disabled';
  disabledReason?: string | null;
  /**
   * The signing secret (shown to the merchant once), sealed under the card vault's key ring and bound to
   * the endpoint (`webhook-secrets.ts`); `secretKeyId` names the key, for rotation. Null only on an
   * endpoint from before secrets were sealed, until it is: its clear `secret` and `previous_secret`
   * columns are no part of the record, and only the sealing reads them.
   */
  secretKeyId: string | null;
  secretCiphertext: Buffer | null;
  /** The rotated-out secret, sealed the same way, signing beside the new one until `previousSecretExpiresAt`. */
  previousSecretKeyId?: string | null;
  previousSecretCiphertext?: Buffer | null;
  previousSecretExpiresAt?: Date | null;
  failingSince?: Date | null;
  deletedAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const WebhookEndpointEntity = new EntitySchema<WebhookEndpoint>({
  name: 'WebhookEndpoint',
  tableName: 'webhook_endpoints',
  properties: {
    id: { type: 'string', primary: true },
    merchantId: { type: 'string' },
    url: { type: 'string' },
    description: { type: 'string', nullable: true },
    enabledEvents: { type: 'json' },
    status: { type: 'string' },
    disabledReason: { type: 'string', nullable: true },
    secretKeyId: { type: 'string', nullable: true },
    secretCiphertext: { type: 'blob', nullable: true },
    previousSecretKeyId: { type: 'string', nullable: true },
    previousSecretCiphertext: { type: 'blob', nullable: true },
    previousSecretExpiresAt: { type: 'Date', nullable: true },
    failingSince: { type: 'Date', nullable: true },
    deletedAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

export interface WebhookAttempt {
  id: string;
  endpointId: string;
  eventId: string;
  webhookId: string;
  attempt: number;
  url: string;
  statusCode?: number | null;
  latencyMs: number;
  responseExcerpt?: string | null;
  error?: string | null;
  succeeded: boolean;
  createdAt: Date;
}

export const WebhookAttemptEntity = new EntitySchema<WebhookAttempt>({
  name: 'WebhookAttempt',
  tableName: 'webhook_attempts',
  properties: {
    id: { type: 'string', primary: true },
    endpointId: { type: 'string' },
    eventId: { type: 'string' },
    webhookId: { type: 'string' },
    attempt: { type: 'integer' },
    url: { type: 'string' },
    statusCode: { type: 'integer', nullable: true },
    latencyMs: { type: 'integer' },
    responseExcerpt: { type: 'string', nullable: true },
    error: { type: 'string', nullable: true },
    succeeded: { type: 'boolean' },
    createdAt: { type: 'Date' },
  },
});
