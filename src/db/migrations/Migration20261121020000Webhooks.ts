import { Migration } from '@mikro-orm/migrations';

/** Webhook endpoints, every delivery attempt, and the outbox mark on events. */
export class Migration20261121020000Webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table webhook_endpoints (
        id text primary key,
        merchant_id text not null references merchants(id),
        url text not null,
        description text,
        enabled_events jsonb not null,
        status text not null check (status in ('enabled','disabled')),
        disabled_reason text,
        secret text not null,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        failing_since timestamptz,
        deleted_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`create index webhook_endpoints_merchant_idx on webhook_endpoints (merchant_id) where deleted_at is null;`);
    this.addSql(`
      create table webhook_attempts (
        id text primary key,
        endpoint_id text not null references webhook_endpoints(id),
        event_id text not null references events(id),
        webhook_id text not null,
        attempt integer not null,
        url text not null,
        status_code integer,
        latency_ms integer not null,
        response_excerpt text,
        error text,
        succeeded boolean not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index webhook_attempts_endpoint_idx on webhook_attempts (endpoint_id, created_at desc, id desc);`);
    // Events are the outbox: a dispatcher starts their deliveries and marks them.
    this.addSql(`alter table events add column dispatched_at timestamptz;`);
    this.addSql(`update events set dispatched_at = created_at;`);
    this.addSql(`create index events_undispatched_idx on events (created_at) where dispatched_at is null;`);
    this.addSql(`alter table merchants add column webhook_notice text;`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table merchants drop column if exists webhook_notice;');
    this.addSql('drop index if exists events_undispatched_idx;');
    this.addSql('alter table events drop column if exists dispatched_at;');
    this.addSql('drop table if exists webhook_attempts;');
    this.addSql('drop table if exists webhook_endpoints;');
  }
}
