import type { EntityManager } from '@mikro-orm/postgresql';
import { PaymentEntity, type PaymentRecord } from './payment-entity';

/** Reads and writes of the payments read model. */
export class PaymentRepository {
  constructor(private readonly em: EntityManager) {}

  /** Writes the workflow's latest state; later states overwrite earlier ones. */
  async save(record: PaymentRecord): Promise<void> {
    await this.em.upsert(PaymentEntity, record, { onConflictFields: ['id'], onConflictAction: 'merge' });
  }

  /** Inserts the first `processing` row unless the workflow got there first. */
  async insertIfAbsent(record: PaymentRecord): Promise<void> {
    await this.em.upsert(PaymentEntity, record, { onConflictFields: ['id'], onConflictAction: 'ignore' });
  }

  async findForMerchant(merchantId: string, id: string): Promise<PaymentRecord | null> {
    return this.em.findOne(PaymentEntity, { id, merchantId }, { disableIdentityMap: true });
  }

  /** Newest first, cursor-paginated by `starting_after` like Stripe's lists. */
  async listForMerchant(merchantId: string, limit: number, startingAfter?: PaymentRecord): Promise<{ data: PaymentRecord[]; hasMore: boolean }> {
    const where = startingAfter
      ? { merchantId, $or: [{ createdAt: { $lt: startingAfter.createdAt } }, { createdAt: startingAfter.createdAt, id: { $lt: startingAfter.id } }] }
      : { merchantId };
    const rows = await this.em.find(PaymentEntity, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: limit + 1, disableIdentityMap: true });
    return { data: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  /** Payments from one source for one merchant since a moment: the velocity signal. */
  async countRecentBySource(merchantId: string, source: string, since: Date, excludeId: string): Promise<number> {
    return this.em.count(PaymentEntity, { merchantId, source, createdAt: { $gte: since }, id: { $ne: excludeId } });
  }
}
