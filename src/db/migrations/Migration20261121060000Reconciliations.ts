import { Migration } from '@mikro-orm/migrations';

/** Reconciliation runs of a gateway's settlement against our ledger, and the classified items of each run. */
export class Migration20261121060000Reconciliations extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table reconciliations (
        id text primary key,
        merchant_id text references merchants(id),
        source text not null check (source in ('upload','gateway_report')),
        gateway text,
        status text not null check (status in ('reconciled','discrepancies_found')),
        period_start date not null,
        period_end date not null check (period_end >= period_start),
        file_sha256 text not null,
        file_rows integer not null check (file_rows >= 0),
        matched_count integer not null check (matched_count >= 0),
        amount_mismatch_count integer not null check (amount_mismatch_count >= 0),
        missing_in_ledger_count integer not null check (missing_in_ledger_count >= 0),
        missing_in_settlement_count integer not null check (missing_in_settlement_count >= 0),
        idempotency_key text unique,
        created_at timestamptz not null default now(),
        check ((status = 'reconciled') = (amount_mismatch_count + missing_in_ledger_count + missing_in_settlement_count = 0))
      );`);
    // Merchant runs by merchant, platform runs (merchant_id null) through the same index.
    this.addSql(`create index reconciliations_merchant_created_idx on reconciliations (merchant_id, created_at desc, id desc);`);
    this.addSql(`
      create table reconciliation_items (
        id text primary key,
        reconciliation_id text not null references reconciliations(id),
        position integer not null,
        category text not null check (category in ('matched','amount_mismatch','missing_in_ledger','missing_in_settlement')),
        gateway_reference text,
        settlement_line integer,
        settlement_amount_minor bigint,
        settlement_currency char(3),
        settlement_date date,
        ledger_entry_id text references ledger_entries(id),
        ledger_amount_minor bigint,
        ledger_currency char(3),
        unique (reconciliation_id, position),
        check ((settlement_line is null) = (category = 'missing_in_settlement')),
        check ((ledger_entry_id is null) = (category = 'missing_in_ledger'))
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists reconciliation_items;');
    this.addSql('drop table if exists reconciliations;');
  }
}
