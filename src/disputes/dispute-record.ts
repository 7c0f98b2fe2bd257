import { BigIntType, EntitySchema } from '@mikro-orm/core';
import type { DisputeClosedReason, DisputeEvidence, DisputeStatus } from './dispute-state';

export interface DisputeRecord {
  id: string;
  merchantId: string;
  paymentId: string;
  amountMinor: number;
  feeMinor: number;
  currency: string;
  status: DisputeStatus;
  reason: string;
  networkReference: string;
  evidence: DisputeEvidence;
  evidenceSubmittedAt?: Date | null;
  evidenceDueBy: Date;
  closedReason?: DisputeClosedReason | null;
  createdAt: Date;
  updatedAt: Date;
}

export const DisputeEntity = new EntitySchema<DisputeRecord>({
  name: 'Dispute',
  tableName: 'disputes',
  properties: {
    id: { type: 'string', primary: true },
    merchantId: { type: 'string' },
    paymentId: { type: 'string' },
    amountMinor: { type: new BigIntType('number') },
    feeMinor: { type: new BigIntType('number') },
    currency: { type: 'string' },
    status: { type: 'string' },
    reason: { type: 'string' },
    networkReference: { type: 'string' },
    evidence: { type: 'json' },
    evidenceSubmittedAt: { type: 'Date', nullable: true },
    evidenceDueBy: { type: 'Date' },
    closedReason: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});
