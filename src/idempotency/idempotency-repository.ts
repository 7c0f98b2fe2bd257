import type { EntityManager } from '@mikro-orm/postgresql';
import { IdempotencyKeyEntity, type IdempotencyKeyRecord } from './idempotency-record';

/** Every read and write of the `idempotency_keys` table, on an `EntityManager` fork. */
export class IdempotencyKeyRepository {
  constructor(private readonly em: EntityManager) {}

  async find(merchantId: string, key: string): Promise<IdempotencyKeyRecord | null> {
    return this.em.findOne(IdempotencyKeyEntity, { merchantId, key }, { disableIdentityMap: true });
  }

  /** Inserts the key unless the merchant already holds it; true when this call inserted it. Concurrent inserts race on the primary key. */
  async insertIfAbsent(record: IdempotencyKeyRecord): Promise<boolean> {
    const inserted = await this.em.getConnection().execute<{ resource_id: string }[]>(
      `insert into idempotency_keys (merchant_id, key, request_method, request_path, request_hash, resource_id, created_at)
       values (?, ?, ?, ?, ?, ?, ?) on conflict (merchant_id, key) do nothing returning resource_id`,
      [record.merchantId, record.key, record.requestMethod, record.requestPath, record.requestHash, record.resourceId, record.createdAt],
    );
    return inserted.length > 0;
  }

  /** Deletes the key if it is still held by the request with this hash. */
  async deleteForRequest(merchantId: string, key: string, requestHash: string): Promise<void> {
    await this.em
      .getConnection()
      .execute('delete from idempotency_keys where merchant_id = ? and key = ? and request_hash = ?', [merchantId, key, requestHash]);
  }
}
