import { Migration } from '@mikro-orm/migrations';

/** Merchants and keys, payments, idempotency keys, the ledger, events, the fraud blocklist and the sandbox gateway's own records. */
export class Migration20261121000000Initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table merchants (
        id text primary key,
        name text not null,
        livemode boolean not null default false,
        fee_percent_bps integer check (fee_percent_bps between 0 and 10000),
        fee_fixed_minor bigint check (fee_fixed_minor >= 0),
        max_payment_amount_minor bigint check (max_payment_amount_minor > 0),
        created_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table api_keys (
        id text primary key,
        merchant_id text not null references merchants(id),
        key_hash text not null unique,
        key_prefix text not null,
        last4 text not null,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      );`);
    this.addSql(`create index api_keys_merchant_idx on api_keys (merchant_id);`);

    this.addSql(`
      create table payments (
        id text primary key,
        merchant_id text not null references merchants(id),
        amount_minor bigint not null check (amount_minor > 0),
        currency char(3) not null,
        status text not null check (status in ('processing','requires_capture','succeeded','failed','canceled')),
        capture_method text not null check (capture_method in ('automatic','manual')),
        source text not null,
        description text,
        metadata jsonb not null default '{}',
        amount_capturable_minor bigint not null default 0 check (amount_capturable_minor >= 0),
        amount_captured_minor bigint not null default 0 check (amount_captured_minor >= 0),
        amount_refunded_minor bigint not null default 0 check (amount_refunded_minor >= 0),
        fee_minor bigint not null default 0,
        gateway text not null,
        gateway_reference text,
        failure_code text,
        failure_message text,
        cancellation_reason text,
        created_at timestamptz not null,
        updated_at timestamptz not null default now(),
        authorization_expires_at timestamptz,
        captured_at timestamptz,
        canceled_at timestamptz,
        check (amount_captured_minor <= amount_minor)
      );`);
    this.addSql(`create index payments_merchant_created_idx on payments (merchant_id, created_at desc, id desc);`);
    this.addSql(`create index payments_merchant_source_idx on payments (merchant_id, source, created_at);`);

    this.addSql(`
      create table idempotency_keys (
        merchant_id text not null references merchants(id),
        key text not null,
        request_method text not null,
        request_path text not null,
        request_hash text not null,
        resource_id text not null,
        created_at timestamptz not null default now(),
        primary key (merchant_id, key)
      );`);

    // The ledger: entries of postings that sum to zero per currency. Positive amounts credit the
    // account holder's balance, negative amounts debit it.
    this.addSql(`
      create table ledger_entries (
        id text primary key,
        idempotency_key text not null unique,
        content_hash text not null,
        merchant_id text references merchants(id),
        source_type text not null,
        source_id text not null,
        description text not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index ledger_entries_source_idx on ledger_entries (source_type, source_id);`);
    this.addSql(`
      create table ledger_postings (
        id text primary key,
        entry_id text not null references ledger_entries(id),
        account text not null,
        merchant_id text references merchants(id),
        currency char(3) not null,
        amount_minor bigint not null check (amount_minor <> 0),
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index ledger_postings_entry_idx on ledger_postings (entry_id);`);
    this.addSql(`create index ledger_postings_account_idx on ledger_postings (account, currency);`);

    // Balance is enforced by the database, at commit, whatever code wrote the rows.
    this.addSql(`
      create function ledger_entry_must_balance() returns trigger language plpgsql as $$
      begin
        if exists (
          select 1 from ledger_postings where entry_id = new.entry_id
          group by currency having sum(amount_minor) <> 0
        ) then
          raise exception 'ledger entry % does not balance', new.entry_id using errcode = '23514';
        end if;
        if (select count(*) from ledger_postings where entry_id = new.entry_id) < 2 then
          raise exception 'ledger entry % needs at least two postings', new.entry_id using errcode = '23514';
        end if;
        return null;
      end $$;`);
    this.addSql(`
      create constraint trigger ledger_postings_balance
        after insert on ledger_postings deferrable initially deferred
        for each row execute function ledger_entry_must_balance();`);
    this.addSql(`
      create function ledger_is_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'the ledger is append-only: % on % refused; post a reversing entry', tg_op, tg_table_name
          using errcode = '42501';
      end $$;`);
    this.addSql(
      `create trigger ledger_entries_append_only before update or delete on ledger_entries for each row execute function ledger_is_append_only();`,
    );
    this.addSql(
      `create trigger ledger_postings_append_only before update or delete on ledger_postings for each row execute function ledger_is_append_only();`,
    );

    this.addSql(`
      create table events (
        id text primary key,
        merchant_id text not null references merchants(id),
        type text not null,
        idempotency_key text not null unique,
        object_type text not null,
        object_id text not null,
        data jsonb not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index events_merchant_created_idx on events (merchant_id, created_at desc, id desc);`);
    this.addSql(`create index events_object_idx on events (object_id);`);

    this.addSql(`
      create table fraud_blocklist (
        id text primary key,
        merchant_id text references merchants(id),
        kind text not null check (kind in ('source')),
        value text not null,
        reason text,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create unique index fraud_blocklist_unique_idx on fraud_blocklist (coalesce(merchant_id, ''), kind, value);`);

    // The sandbox gateway's own books, as a real gateway keeps them: one row per idempotency key,
    // so tests can prove that no retry charged twice.
    this.addSql(`
      create table sandbox_gateway_operations (
        id text primary key,
        idempotency_key text not null unique,
        operation text not null check (operation in ('authorize','capture','void','refund')),
        authorization_id text,
        source text,
        amount_minor bigint not null,
        currency char(3) not null,
        outcome text not null,
        attempts integer not null default 1,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index sandbox_gateway_operations_authorization_idx on sandbox_gateway_operations (authorization_id);`);
  }

  override async down(): Promise<void> {
    for (const table of [
      'sandbox_gateway_operations',
      'fraud_blocklist',
      'events',
      'ledger_postings',
      'ledger_entries',
      'idempotency_keys',
      'payments',
      'api_keys',
      'merchants',
    ]) {
      this.addSql(`drop table if exists ${table} cascade;`);
    }
    this.addSql('drop function if exists ledger_entry_must_balance() cascade;');
    this.addSql('drop function if exists ledger_is_append_only() cascade;');
  }
}
