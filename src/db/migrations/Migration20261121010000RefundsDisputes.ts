import { Migration } from '@mikro-orm/migrations';

/** Refunds and disputes, and the sandbox network's queue of notifications it will send us later. */
export class Migration20261121010000RefundsDisputes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table refunds (
        id text primary key,
        merchant_id text not null references merchants(id),
        payment_id text not null references payments(id),
        amount_minor bigint not null check (amount_minor > 0),
        currency char(3) not null,
        status text not null check (status in ('pending','succeeded','failed')),
        reason text check (reason in ('duplicate','fraudulent','requested_by_customer')),
        metadata jsonb not null default '{}',
        gateway_reference text,
        failure_code text,
        failure_message text,
        created_at timestamptz not null,
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`create index refunds_payment_idx on refunds (payment_id);`);
    this.addSql(`create index refunds_merchant_created_idx on refunds (merchant_id, created_at desc, id desc);`);

    this.addSql(`
      create table disputes (
        id text primary key,
        merchant_id text not null references merchants(id),
        payment_id text not null references payments(id),
        amount_minor bigint not null check (amount_minor > 0),
        fee_minor bigint not null check (fee_minor >= 0),
        currency char(3) not null,
        status text not null check (status in ('needs_response','under_review','won','lost')),
        reason text not null,
        network_reference text not null unique,
        evidence jsonb not null default '{}',
        evidence_submitted_at timestamptz,
        evidence_due_by timestamptz not null,
        closed_reason text check (closed_reason in ('accepted','no_response','network_decision')),
        created_at timestamptz not null,
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`create index disputes_payment_idx on disputes (payment_id);`);
    this.addSql(`create index disputes_merchant_created_idx on disputes (merchant_id, created_at desc, id desc);`);

    this.addSql(`
      create table sandbox_network_events (
        id text primary key,
        type text not null,
        payload jsonb not null,
        deliver_after timestamptz not null,
        delivered_at timestamptz,
        attempts integer not null default 0,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index sandbox_network_events_due_idx on sandbox_network_events (deliver_after) where delivered_at is null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists sandbox_network_events;');
    this.addSql('drop table if exists disputes;');
    this.addSql('drop table if exists refunds;');
  }
}
