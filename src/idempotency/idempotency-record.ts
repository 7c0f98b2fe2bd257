import { EntitySchema } from '@mikro-orm/core';

/** An Idempotency-Key a merchant sent, with the hash of the request it was first sent with and the resource that request made. */
export interface IdempotencyKeyRecord {
  merchantId: string;
  key: string;
  requestMethod: string;
  requestPath: string;
  requestHash: string;
  resourceId: string;
  createdAt: Date;
}

export const IdempotencyKeyEntity = new EntitySchema<IdempotencyKeyRecord>({
  name: 'IdempotencyKey',
  tableName: 'idempotency_keys',
  properties: {
    merchantId: { type: 'string', primary: true },
    key: { type: 'string', primary: true },
    requestMethod: { type: 'string' },
    requestPath: { type: 'string' },
    requestHash: { type: 'string' },
    resourceId: { type: 'string' },
    createdAt: { type: 'Date' },
  },
});
