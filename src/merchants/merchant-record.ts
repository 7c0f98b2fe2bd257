import { BigIntType, EntitySchema } from '@mikro-orm/core';

export interface Merchant {
  id: string;
  name: string;
  livemode: boolean;
  feePercentBps?: number | null;
  feeFixedMinor?: number | null;
  maxPaymentAmountMinor?: number | null;
  /** Days captures stay pending; null takes the deployment's default. */
  settlementDelayDays?: number | null;
  createdAt: Date;
}

export const MerchantEntity = new EntitySchema<Merchant>({
  name: 'Merchant',
  tableName: 'merchants',
  properties: {
    id: { type: 'string', primary: true },
    name: { type: 'string' },
    livemode: { type: 'boolean' },
    feePercentBps: { type: 'integer', nullable: true },
    feeFixedMinor: { type: new BigIntType('number'), nullable: true },
    maxPaymentAmountMinor: { type: new BigIntType('number'), nullable: true },
    settlementDelayDays: { type: 'integer', nullable: true },
    createdAt: { type: 'Date' },
  },
});

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
