import { Migration } from '@mikro-orm/migrations';

/**
 * Merchants' gateway accounts (credentials sealed with the vault's key ring, never in clear), the
 * account each payment went through (its refunds follow it), and the payment statuses a real gateway brings:
 * `requires_action` (the customer must authenticate) and `held` (the gateway's answer never came).
 */
export class Migration20261206010000GatewayAccounts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table gateway_accounts (
        id text primary key,
        merchant_id text not null references merchants(id),
        gateway text not null check (gateway in ('sandbox','stripe')),
        livemode boolean not null,
        status text not null check (status in ('verified','disabled')),
        currencies text[] not null default '{}',
        description text,
        priority integer not null,
        credentials_key_id text,
        credentials_ciphertext bytea,
        credentials_last4 text,
        has_webhook_secret boolean not null default false,
        verified_at timestamptz,
        disabled_at timestamptz,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);
    this.addSql(`create index gateway_accounts_merchant_created_idx on gateway_accounts (merchant_id, created_at desc, id desc);`);
    this.addSql(`alter table payments add column gateway_account_id text references gateway_accounts(id);`);
    this.addSql(`alter table payments add column next_action jsonb;`);
    this.addSql(`alter table payments add column hold_reason text;`);
    this.addSql(`alter table payments drop constraint payments_status_check;`);
    this.addSql(`alter table payments add constraint payments_status_check
      check (status in ('processing','requires_review','requires_action','held','requires_capture','succeeded','failed','canceled'));`);
    this.addSql(`create index payments_gateway_reference_idx on payments (gateway, gateway_reference);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index payments_gateway_reference_idx;`);
    this.addSql(`alter table payments drop constraint payments_status_check;`);
    this.addSql(`alter table payments add constraint payments_status_check
      check (status in ('processing','requires_review','requires_capture','succeeded','failed','canceled'));`);
    this.addSql(`alter table payments drop column hold_reason, drop column next_action, drop column gateway_account_id;`);
    this.addSql(`drop table gateway_accounts;`);
  }
}
