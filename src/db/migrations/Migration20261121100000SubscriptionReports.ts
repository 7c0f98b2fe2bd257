import { Migration } from '@mikro-orm/migrations';

/**
 * The scheduled subscription reports: the daily check's runs (invoices past due, subscriptions
 * whose workflow is missing or stuck) and the monthly revenue figures per merchant, month and currency.
 */
export class Migration20261121100000SubscriptionReports extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table subscription_check_runs (
        id text primary key,
        run_key text not null unique,
        as_of timestamptz not null,
        summary jsonb not null,
        findings jsonb not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index subscription_check_runs_created_idx on subscription_check_runs (created_at desc, id desc);`);

    // One row per merchant, month and currency; a run for the month replaces the merchant's rows, so retries change nothing.
    this.addSql(`
      create table subscription_revenue_reports (
        merchant_id text not null references merchants(id),
        month text not null check (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
        currency char(3) not null,
        mrr_minor bigint not null,
        mrr_start_minor bigint not null,
        new_count integer not null,
        new_mrr_minor bigint not null,
        churned_count integer not null,
        churned_mrr_minor bigint not null,
        invoices_paid_count integer not null,
        invoices_paid_minor bigint not null,
        failed_count integer not null,
        failed_minor bigint not null,
        recovered_count integer not null,
        recovered_minor bigint not null,
        as_of timestamptz not null,
        created_at timestamptz not null default now(),
        primary key (merchant_id, month, currency)
      );`);
    // The monthly figures read a merchant's failed invoice payments by time. Partial, so the payment
    // path's event inserts (the hot path) do not maintain it.
    this.addSql(
      `create index events_invoice_payment_failed_idx on events (merchant_id, created_at) where type = 'invoice.payment_failed';`,
    );
    this.addSql(`create index invoices_merchant_paid_idx on invoices (merchant_id, paid_at) where paid_at is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists invoices_merchant_paid_idx;');
    this.addSql('drop index if exists events_invoice_payment_failed_idx;');
    this.addSql('drop table if exists subscription_revenue_reports;');
    this.addSql('drop table if exists subscription_check_runs;');
  }
}
