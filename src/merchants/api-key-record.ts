import { EntitySchema } from '@mikro-orm/core';

export interface ApiKey {
  id: string;
  merchantId: string;
  keyHash: string;
  keyPrefix: string;
  last4: string;
  createdAt: Date;
  revokedAt?: Date | null;
}

export const ApiKeyEntity = new EntitySchema<ApiKey>({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: { type: 'string', primary: true },
    merchantId: { type: 'string' },
    keyHash: { type: 'string' },
    keyPrefix: { type: 'string' },
    last4: { type: 'string' },
    createdAt: { type: 'Date' },
    revokedAt: { type: 'Date', nullable: true },
  },
});

/** A key as the API shows it, read from `api_keys`: never its hash. */
export interface ApiKeyRow {
  id: string;
  key_prefix: string;
  last4: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** An unrevoked (or not yet expired) key found by its hash, with what authentication needs. */
export interface UsableApiKeyRow {
  id: string;
  merchant_id: string;
  key_prefix: string;
  last4: string;
  revoked_at: Date | null;
  last_used_at: Date | null;
}
