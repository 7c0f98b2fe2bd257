import { EntitySchema } from '@mikro-orm/core';

/** An immutable record of a state change a merchant cares about (`payment.succeeded`, ...). */
export interface EventRecord {
  id: string;
  merchantId: string;
  type: string;
  idempotencyKey: string;
  objectType: string;
  objectId: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

export const EventEntity = new EntitySchema<EventRecord>({
  name: 'Event',
  tableName: 'events',
  properties: {
    id: { type: 'string', primary: true },
    merchantId: { type: 'string' },
    type: { type: 'string' },
    idempotencyKey: { type: 'string' },
    objectType: { type: 'string' },
    objectId: { type: 'string' },
    data: { type: 'json' },
    createdAt: { type: 'Date' },
  },
});
