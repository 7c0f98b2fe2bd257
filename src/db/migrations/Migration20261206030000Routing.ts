import { Migration } from '@mikro-orm/migrations';

/**
 * Routing across a merchant's gateway accounts: versioned rule sets (a PUT adds a version, nothing is
 * changed in place, so the version a payment was routed by stays readable), the gateway accounts'
 * unavailable answers the router cools accounts down by, and each payment's routing decision.
 */
export class Migration20261206030000Routing extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table routing_configurations (
        merchant_id text not null references merchants(id),
        version integer not null check (version > 0),
        body jsonb not null,
        request_id text not null,
        created_at timestamptz not null,
        primary key (merchant_id, version)
      );`);
    // A retried PUT (same Idempotency-Key) finds the version its first request stored.
    this.addSql(`create unique index routing_configurations_request_idx on routing_configurations (merchant_id, request_id);`);
    this.addSql(`
      create table gateway_account_outages (
        id bigserial primary key,
        gateway_account_id text not null references gateway_accounts(id),
        gateway text not null,
        occurred_at timestamptz not null
      );`);
    // The router reads the last few minutes of answers on every new payment: by time, then by account.
    this.addSql(`create index gateway_account_outages_time_idx on gateway_account_outages (occurred_at, gateway_account_id);`);
    this.addSql(`alter table payments add column routing jsonb;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table payments drop column routing;`);
    this.addSql(`drop table gateway_account_outages;`);
    this.addSql(`drop table routing_configurations;`);
  }
}
