import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlFor } from '../db/sql';
import { MerchantEntity, type Merchant } from './merchant-record';

/** The `merchants` table. */
export class MerchantRepository {
  constructor(private readonly em: EntityManager) {}

  async insert(merchant: Merchant): Promise<void> {
    await this.em.insert(MerchantEntity, merchant);
  }

  async findById(id: string): Promise<Merchant | null> {
    return this.em.findOne(MerchantEntity, { id });
  }

  /** The notice shown to the merchant about its webhooks (an endpoint disabled for failing), replacing any earlier one. */
  async setWebhookNotice(merchantId: string, notice: string): Promise<void> {
    await sqlFor(this.em).query(`update merchants set webhook_notice = ? where id = ?`, [notice, merchantId]);
  }
}
