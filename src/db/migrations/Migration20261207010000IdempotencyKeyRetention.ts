import { Migration } from '@mikro-orm/migrations';

/** Idempotency-Keys are pruned daily by age (IDEMPOTENCY_KEY_RETENTION): the clean-up reads them by creation time. */
export class Migration20261207010000IdempotencyKeyRetention extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index idempotency_keys_created_idx on idempotency_keys (created_at);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index idempotency_keys_created_idx;`);
  }
}
