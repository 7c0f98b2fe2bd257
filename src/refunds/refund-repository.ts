import type { EntityManager } from '@mikro-orm/postgresql';
import { selectEntitiesNewestFirst, type Page, type SqlCondition } from '../db/pagination';
import { sqlFor } from '../db/sql';
import { RefundEntity, type RefundRecord } from './refund-record';

/** Every read and write of the `refunds` table, on an `EntityManager` fork; inside the fork's transaction when it has one. */
export class RefundRepository {
  constructor(private readonly em: EntityManager) {}

  async findForMerchant(merchantId: string, id: string): Promise<RefundRecord | null> {
    return this.em.findOne(RefundEntity, { id, merchantId }, { disableIdentityMap: true });
  }

  /** Newest first, optionally of one payment, after the refund `startingAfter` (checked to be the merchant's own). */
  async listForMerchant(
    merchantId: string,
    filter: { paymentId?: string },
    limit: number,
    startingAfter?: string,
  ): Promise<Page<RefundRecord>> {
    const where: SqlCondition[] = [
      ['merchant_id = ?', merchantId],
      ...(filter.paymentId ? [['payment_id = ?', filter.paymentId] as SqlCondition] : []),
    ];
    return selectEntitiesNewestFirst<RefundRecord>(this.em, RefundEntity, 'refunds', where, limit, startingAfter);
  }

  /** Any merchant's refund, by id: for a gateway's events about it, which name no merchant. */
  async findById(id: string): Promise<RefundRecord | null> {
    return this.em.findOne(RefundEntity, { id }, { disableIdentityMap: true });
  }

  /** The refund an earlier attempt of the reservation recorded, read in the fork's transaction. */
  async findReserved(id: string): Promise<RefundRecord | null> {
    return this.em.findOne(RefundEntity, { id });
  }

  async insert(record: RefundRecord): Promise<void> {
    await this.em.insert(RefundEntity, record);
  }

  /** Writes a pending refund's outcome; false when it was already settled (a retry), so nothing is counted twice. */
  async settlePending(record: RefundRecord): Promise<boolean> {
    const settled = await sqlFor(this.em).query<{ id: string }>(
      `update refunds set status = ?, gateway_reference = ?, failure_code = ?, failure_message = ?, updated_at = ?
            where id = ? and status = 'pending' returning id`,
      [record.status, record.gatewayReference, record.failureCode, record.failureMessage, record.updatedAt, record.id],
    );
    return settled.length > 0;
  }
}
