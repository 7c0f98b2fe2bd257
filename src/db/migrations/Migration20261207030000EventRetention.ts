import { Migration } from '@mikro-orm/migrations';

/**
 * Events are pruned daily by age (EVENT_RETENTION) with their webhook attempts: the clean-up reads events by
 * creation time, skipping the subscription history it keeps (the same condition as `pruneEvents`, so kept rows
 * never pile up in front of each batch), and finds each event's attempts, which deleting an event also checks.
 */
export class Migration20261207030000EventRetention extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index events_prunable_created_idx on events (created_at)
        where object_type <> 'subscription' and type <> 'invoice.payment_failed';`,
    );
    this.addSql(`create index webhook_attempts_event_idx on webhook_attempts (event_id);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index webhook_attempts_event_idx;`);
    this.addSql(`drop index events_prunable_created_idx;`);
  }
}
