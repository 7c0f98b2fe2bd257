import { BigIntType, EntitySchema } from '@mikro-orm/core';

export interface LedgerEntryRecord {
  id: string;
  idempotencyKey: string;
  contentHash: string;
  merchantId?: string | null;
  sourceType: string;
  sourceId: string;
  description: string;
  createdAt: Date;
}

export const LedgerEntryEntity = new EntitySchema<LedgerEntryRecord>({
  name: 'LedgerEntry',
  tableName: 'ledger_entries',
  properties: {
    id: { type: 'string', primary: true },
    idempotencyKey: { type: 'string' },
    contentHash: { type: 'string' },
    merchantId: { type: 'string', nullable: true },
    sourceType: { type: 'string' },
    sourceId: { type: 'string' },
    description: { type: 'string' },
    createdAt: { type: 'Date' },
  },
});

export interface LedgerPostingRecord {
  id: string;
  entryId: string;
  account: string;
  merchantId?: string | null;
  currency: string;
  amountMinor: number;
  createdAt: Date;
}

export const LedgerPostingEntity = new EntitySchema<LedgerPostingRecord>({
  name: 'LedgerPosting',
  tableName: 'ledger_postings',
  properties: {
    id: { type: 'string', primary: true },
    entryId: { type: 'string' },
    account: { type: 'string' },
    merchantId: { type: 'string', nullable: true },
    currency: { type: 'string' },
    amountMinor: { type: new BigIntType('number') },
    createdAt: { type: 'Date' },
  },
});
