import { Migration } from '@mikro-orm/migrations';

/**
 * Checkout sessions (the hosted payment page) as their workflows record them, and each merchant's checkout
 * signing secret, sealed like every other secret, with which the redirect back to the merchant is signed.
 */
export class Migration20261206090000CheckoutSessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table checkout_sessions (
        id text primary key,
        merchant_id text not null references merchants(id),
        livemode boolean not null,
        amount_minor bigint not null check (amount_minor > 0),
        currency text not null,
        description text,
        customer_id text,
        customer_email text,
        success_url text not null,
        cancel_url text not null,
        capture_method text not null check (capture_method in ('automatic','manual')),
        metadata jsonb not null default '{}',
        status text not null check (status in ('open','complete','expired')),
        payment_status text not null check (payment_status in ('unpaid','paid','requires_action','failed')),
        payment_id text,
        payment jsonb,
        attempts integer not null default 0,
        -- Binds the page's form to the browser that loaded it (the CSRF token is an HMAC of its cookie under this).
        form_secret text not null,
        expires_at timestamptz not null,
        completed_at timestamptz,
        expired_at timestamptz,
        version integer not null default 1,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);
    this.addSql(`create index checkout_sessions_merchant_created_idx on checkout_sessions (merchant_id, created_at desc, id desc);`);
    this.addSql(`
      create table checkout_signing_secrets (
        merchant_id text primary key references merchants(id),
        key_id text not null,
        ciphertext bytea not null,
        last4 text not null,
        created_at timestamptz not null
      );`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table checkout_signing_secrets;`);
    this.addSql(`drop table checkout_sessions;`);
  }
}
