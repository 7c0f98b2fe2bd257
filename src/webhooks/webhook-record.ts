import { EntitySchema } from '@mikro-orm/core';

export interface WebhookEndpoint {
  id: string;
  merchantId: string;
  url: string;
  description?: string | null;
  enabledEvents: string[];
  status: 'enabled' | 'disabled';
  disabledReason?: string | null;
  /** Needed in clear to sign; shown to the merchant once. */
  secret: string;
  previousSecret?: string | null;
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
    secret: { type: 'string' },
    previousSecret: { type: 'string', nullable: true },
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
