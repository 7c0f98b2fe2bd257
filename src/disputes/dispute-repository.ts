import type { EntityManager } from '@mikro-orm/postgresql';
import { selectEntitiesNewestFirst, type Page, type SqlCondition } from '../db/pagination';
import { DisputeEntity, type DisputeRecord } from './dispute-record';
import type { DisputeStatus } from './dispute-state';

/** Every read and write of the disputes table. */
export class DisputeRepository {
  constructor(private readonly em: EntityManager) {}

  /** Any merchant's dispute: for the network's events, which name no merchant. */
  async findById(id: string): Promise<DisputeRecord | null> {
    return this.em.findOne(DisputeEntity, { id }, { disableIdentityMap: true });
  }

  async findForMerchant(merchantId: string, id: string): Promise<DisputeRecord | null> {
    return this.em.findOne(DisputeEntity, { id, merchantId }, { disableIdentityMap: true });
  }

  /** Newest first, optionally of one status or one payment, after the dispute `startingAfter` (checked to be the merchant's own). */
  async listForMerchant(
    merchantId: string,
    filter: { status?: DisputeStatus; paymentId?: string },
    limit: number,
    startingAfter?: string,
  ): Promise<Page<DisputeRecord>> {
    const where: SqlCondition[] = [
      ['merchant_id = ?', merchantId],
      ...(filter.status ? [['status = ?', filter.status] as SqlCondition] : []),
      ...(filter.paymentId ? [['payment_id = ?', filter.paymentId] as SqlCondition] : []),
    ];
    return selectEntitiesNewestFirst<DisputeRecord>(this.em, DisputeEntity, 'disputes', where, limit, startingAfter);
  }

  /** The dispute an earlier attempt of the opening recorded, read in the caller's transaction. */
  async findOpened(id: string): Promise<DisputeRecord | null> {
    return this.em.findOne(DisputeEntity, { id });
  }

  async insert(record: DisputeRecord): Promise<void> {
    await this.em.insert(DisputeEntity, record);
  }

  /** Writes what a dispute's workflow changes: its status, evidence and close. */
  async updateState(record: DisputeRecord): Promise<void> {
    await this.em.nativeUpdate(
      DisputeEntity,
      { id: record.id },
      {
        status: record.status,
        evidence: record.evidence,
        evidenceSubmittedAt: record.evidenceSubmittedAt,
        closedReason: record.closedReason,
        updatedAt: record.updatedAt,
      },
    );
  }
}
