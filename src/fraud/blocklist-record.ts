import { EntitySchema } from '@mikro-orm/core';

/** A payment source refused outright, for one merchant or (merchantId null) for all. */
export interface BlocklistEntry {
  id: string;
  merchantId?: string | null;
  /** `source`: a token as given; `card_fingerprint`: every vault token of one card. */
  kind: 'source' | 'card_fingerprint';
  value: string;
  reason?: string | null;
  createdAt: Date;
}

export const BlocklistEntryEntity = new EntitySchema<BlocklistEntry>({
  name: 'BlocklistEntry',
  tableName: 'fraud_blocklist',
  properties: {
    id: { type: 'string', primary: true },
    merchantId: { type: 'string', nullable: true },
    kind: { type: 'string' },
    value: { type: 'string' },
    reason: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
  },
});
