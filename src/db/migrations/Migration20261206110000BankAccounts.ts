import { Migration } from '@mikro-orm/migrations';

/**
 * Merchants' bank accounts, where payouts go: the account number or IBAN only sealed with the vault's
 * key ring, a fingerprint so one merchant cannot add the same account twice while it is in use, and
 * at most one default per merchant and currency. Deleted accounts stay for their payouts' history.
 */
export class Migration20261206110000BankAccounts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table bank_accounts (
        id text primary key,
        merchant_id text not null references merchants(id),
        livemode boolean not null,
        status text not null check (status in ('available','deleted')),
        country text not null check (country ~ '^[A-Z]{2}$'),
        currency text not null check (currency ~ '^[A-Z]{3}$'),
        account_holder_name text not null,
        account_holder_type text check (account_holder_type in ('individual','company')),
        bank_name text,
        bank_code text,
        routing_number text,
        last4 text not null check (last4 ~ '^[0-9A-Z]{4}$'),
        fingerprint text not null,
        number_key_id text not null,
        number_ciphertext bytea not null,
        default_for_currency boolean not null default false,
        metadata jsonb not null default '{}',
        created_at timestamptz not null,
        updated_at timestamptz not null,
        deleted_at timestamptz,
        check (not default_for_currency or status = 'available'),
        check ((status = 'deleted') = (deleted_at is not null))
      );`);
    this.addSql(`create index bank_accounts_merchant_created_idx on bank_accounts (merchant_id, created_at desc, id desc);`);
    this.addSql(`create unique index bank_accounts_fingerprint_uq on bank_accounts (merchant_id, fingerprint) where status = 'available';`);
    this.addSql(`create unique index bank_accounts_default_uq on bank_accounts (merchant_id, currency) where default_for_currency;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table bank_accounts;`);
  }
}
