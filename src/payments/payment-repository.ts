import type { EntityManager } from '@mikro-orm/postgresql';
import { listNewestFirst } from '../db/pagination';
import { PaymentEntity, type PaymentRecord } from './payment-entity';

/** Reads and writes of the payments read model. */
export class PaymentRepository {
  constructor(private readonly em: EntityManager) {}

  async findForMerchant(merchantId: string, id: string): Promise<PaymentRecord | null> {
    return this.em.findOne(PaymentEntity, { id, merchantId }, { disableIdentityMap: true });
  }

  /** Any merchant's payment: for ops, never for a merchant's request. */
  async findById(id: string): Promise<PaymentRecord | null> {
    return this.em.findOne(PaymentEntity, { id }, { disableIdentityMap: true });
  }

  /** Newest first, cursor-paginated by `starting_after` like Stripe's lists. */
  async listForMerchant(merchantId: string, limit: number, startingAfter?: PaymentRecord): Promise<{ data: PaymentRecord[]; hasMore: boolean }> {
    return listNewestFirst(this.em, PaymentEntity, { merchantId }, limit, startingAfter);
  }
}
