import { Migration } from '@mikro-orm/migrations';

/**
 * The append-only audit log of mutating API requests (who, what, when, outcome; never a body),
 * and when each API key was last used.
 */
export class Migration20261121120000AuditLog extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table audit_events (
        id text primary key,
        merchant_id text references merchants(id),
        actor_type text not null check (actor_type in ('merchant', 'admin')),
        api_key_id text,
        api_key_prefix text,
        api_key_last4 text,
        action text not null,
        method text not null,
        route text not null,
        path text not null,
        object_id text,
        request_id text not null,
        idempotency_key text,
        status_code integer not null,
        created_at timestamptz not null,
        check ((actor_type = 'merchant') = (merchant_id is not null))
      );`);
    this.addSql(`create index audit_events_merchant_created_idx on audit_events (merchant_id, created_at desc, id desc);`);
    this.addSql(`
      create function audit_is_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'the audit log is append-only: % on % refused', tg_op, tg_table_name using errcode = '42501';
      end $$;`);
    this.addSql(
      `create trigger audit_events_append_only before update or delete on audit_events for each row execute function audit_is_append_only();`,
    );
    this.addSql(
      `create trigger audit_events_no_truncate before truncate on audit_events for each statement execute function audit_is_append_only();`,
    );

    this.addSql(`alter table api_keys add column last_used_at timestamptz;`);
    this.addSql(`create index api_keys_merchant_created_idx on api_keys (merchant_id, created_at desc, id desc);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists audit_events cascade;');
    this.addSql('drop function if exists audit_is_append_only() cascade;');
    this.addSql('drop index if exists api_keys_merchant_created_idx;');
    this.addSql('alter table api_keys drop column if exists last_used_at;');
  }
}
