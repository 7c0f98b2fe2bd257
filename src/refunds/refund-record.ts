import { BigIntType, EntitySchema } from '@mikro-orm/core';
import type { RefundReason, RefundStatus } from './refund-state';

/** A refund as stored: the read model the API serves, written by the refund workflow's activities. */
export interface RefundRecord {
  id: string;
  merchantId: string;
  paymentId: string;
  amountMinor: number;
  currency: string;
  status: RefundStatus;
  reason?: RefundReason | null;
  metadata: Record<string, string>;
  gatewayReference?: string | null;
  failureCode?: string | null;
  failureMessage?: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const RefundEntity = new EntitySchema<RefundRecord>({
  name: 'Refund',
  tableName: 'refunds',
  properties: {
    id: { type: 'string', primary: true },
    merchantId: { type: 'string' },
    paymentId: { type: 'string' },
    amountMinor: { type: new BigIntType('number') },
    currency: { type: 'string' },
    status: { type: 'string' },
    reason: { type: 'string', nullable: true },
    metadata: { type: 'json' },
    gatewayReference: { type: 'string', nullable: true },
    failureCode: { type: 'string', nullable: true },
    failureMessage: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});
