import { Migration } from '@mikro-orm/migrations';

/**
 * Payouts to merchants' bank accounts, the sandbox bank's own books of the transfers it was sent,
 * a per-merchant payout fee, and the balance transaction types a payout writes. A payout row is
 * the read model its workflow keeps; the money moves only by ledger entries.
 */
export class Migration20261206120000Payouts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table merchants add column payout_fee_minor bigint check (payout_fee_minor >= 0);`);
    this.addSql(`alter table balance_transactions drop constraint balance_transactions_type_check;`);
    this.addSql(`
      alter table balance_transactions add constraint balance_transactions_type_check
        check (type in ('charge','refund','dispute','dispute_reversal','adjustment','payout','payout_failure','payout_cancel'));`);
    this.addSql(`
      create table payouts (
        id text primary key,
        merchant_id text not null references merchants(id),
        livemode boolean not null,
        amount_minor bigint not null check (amount_minor > 0),
        fee_minor bigint not null check (fee_minor >= 0),
        currency char(3) not null,
        status text not null check (status in ('pending','in_transit','paid','failed','canceled')),
        bank_account_id text not null references bank_accounts(id),
        bank_account_last4 text not null,
        network text not null,
        bank_reference text,
        arrival_date date,
        automatic boolean not null,
        description text,
        metadata jsonb not null default '{}',
        failure_code text,
        failure_message text,
        returned boolean not null default false,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);
    this.addSql(`create index payouts_merchant_created_idx on payouts (merchant_id, created_at desc, id desc);`);
    this.addSql(`create index payouts_open_idx on payouts (status) where status in ('pending','in_transit');`);
    // The sandbox bank's side: what it was asked to transfer and what it will do with it. Read by
    // its status lookups and its daily statement, never by our own books.
    this.addSql(`
      create table sandbox_bank_transfers (
        id text primary key,
        idempotency_key text not null unique,
        payout_id text not null,
        merchant_id text not null,
        amount_minor bigint not null check (amount_minor > 0),
        currency char(3) not null,
        bank_account_last4 text not null,
        outcome text not null check (outcome in ('paid','failed','returned')),
        failure_code text,
        submitted_at timestamptz not null,
        arrives_at timestamptz not null,
        returns_at timestamptz
      );`);
    this.addSql(`create index sandbox_bank_transfers_arrives_idx on sandbox_bank_transfers (arrives_at);`);
    this.addSql(`create index sandbox_bank_transfers_returns_idx on sandbox_bank_transfers (returns_at) where returns_at is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table sandbox_bank_transfers;`);
    this.addSql(`drop table payouts;`);
    this.addSql(`alter table balance_transactions drop constraint balance_transactions_type_check;`);
    this.addSql(`
      alter table balance_transactions add constraint balance_transactions_type_check
        check (type in ('charge','refund','dispute','dispute_reversal','adjustment'));`);
    this.addSql(`alter table merchants drop column payout_fee_minor;`);
  }
}
