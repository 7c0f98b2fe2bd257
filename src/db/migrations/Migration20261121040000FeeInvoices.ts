import { Migration } from '@mikro-orm/migrations';

/**
 * Monthly fee invoices: one per merchant, month and currency, with itemized lines. The fees were
 * deducted from the merchant's balance as they were incurred, so every invoice is issued paid.
 */
export class Migration20261121040000FeeInvoices extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table fee_invoices (
        id text primary key,
        number text not null unique,
        sequence integer not null check (sequence > 0),
        merchant_id text not null references merchants(id),
        merchant_name text not null,
        period char(7) not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
        period_start timestamptz not null,
        period_end timestamptz not null,
        currency char(3) not null,
        status text not null check (status in ('paid')),
        processing_fees_minor bigint not null check (processing_fees_minor >= 0),
        dispute_fees_minor bigint not null check (dispute_fees_minor >= 0),
        total_minor bigint not null,
        ledger_entry_id text unique references ledger_entries(id),
        created_at timestamptz not null,
        unique (merchant_id, period, currency),
        unique (period, sequence),
        check (period_end > period_start),
        check (total_minor = processing_fees_minor + dispute_fees_minor and total_minor > 0),
        check ((processing_fees_minor = 0) = (ledger_entry_id is null))
      );`);
    this.addSql(`create index fee_invoices_merchant_created_idx on fee_invoices (merchant_id, created_at desc, id desc);`);
    this.addSql(`
      create table fee_invoice_lines (
        invoice_id text not null references fee_invoices(id),
        position smallint not null check (position > 0),
        kind text not null check (kind in ('processing_fees','dispute_fees','other_fees')),
        description text not null,
        quantity integer not null check (quantity > 0),
        volume_minor bigint check (volume_minor >= 0),
        fee_percent_bps integer check (fee_percent_bps between 0 and 10000),
        fee_fixed_minor bigint check (fee_fixed_minor >= 0),
        unit_description text,
        amount_minor bigint not null,
        primary key (invoice_id, position)
      );`);
    // An issued invoice is a document the merchant may have filed: it is corrected by a credit
    // note, never edited, as ledger entries are.
    this.addSql(`
      create function fee_invoices_are_immutable() returns trigger language plpgsql as $$
      begin
        raise exception 'issued fee invoices are immutable: % on % refused', tg_op, tg_table_name using errcode = '42501';
      end $$;`);
    this.addSql(
      `create trigger fee_invoices_immutable before update or delete on fee_invoices for each row execute function fee_invoices_are_immutable();`,
    );
    this.addSql(
      `create trigger fee_invoice_lines_immutable before update or delete on fee_invoice_lines for each row execute function fee_invoices_are_immutable();`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists fee_invoice_lines cascade;');
    this.addSql('drop table if exists fee_invoices cascade;');
    this.addSql('drop function if exists fee_invoices_are_immutable() cascade;');
  }
}
