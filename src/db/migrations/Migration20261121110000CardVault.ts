import { Migration } from '@mikro-orm/migrations';

/**
 * The card vault: each token's card number sealed with AES-256-GCM under a named key (so keys can
 * rotate), a keyed fingerprint for velocity and blocklists, and the display fields. No CVC column:
 * the security code is never stored. Blocklists may also name a card by its fingerprint.
 */
export class Migration20261121110000CardVault extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table card_tokens (
        id text primary key,
        merchant_id text not null references merchants(id),
        brand text not null check (brand in ('visa','mastercard','amex')),
        last4 char(4) not null check (last4 ~ '^[0-9]{4}$'),
        exp_month smallint not null check (exp_month between 1 and 12),
        exp_year smallint not null check (exp_year between 2000 and 2200),
        fingerprint text not null,
        key_id text not null,
        pan_ciphertext bytea not null,
        sandbox_behaviour text not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index card_tokens_fingerprint_idx on card_tokens (merchant_id, fingerprint);`);
    this.addSql(`alter table fraud_blocklist drop constraint if exists fraud_blocklist_kind_check;`);
    this.addSql(`alter table fraud_blocklist add constraint fraud_blocklist_kind_check check (kind in ('source', 'card_fingerprint'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table fraud_blocklist drop constraint if exists fraud_blocklist_kind_check;`);
    this.addSql(`alter table fraud_blocklist add constraint fraud_blocklist_kind_check check (kind in ('source'));`);
    this.addSql('drop table if exists card_tokens cascade;');
  }
}
