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
  /** The fixed fee per payout, in the payout currency's minor units; null: none. */
  payoutFeeMinor?: number | null;
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
    payoutFeeMinor: { type: new BigIntType('number'), nullable: true },
    createdAt: { type: 'Date' },
  },
});
