import { Migration } from '@mikro-orm/migrations';

/** Customers with their default payment source (a token, never card data), plans, subscriptions and their invoices. */
export class Migration20261121080000Subscriptions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table customers (
        id text primary key,
        merchant_id text not null references merchants(id),
        email text not null,
        name text,
        default_source text not null,
        metadata jsonb not null default '{}',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`create index customers_merchant_created_idx on customers (merchant_id, created_at desc, id desc);`);

    this.addSql(`
      create table plans (
        id text primary key,
        merchant_id text not null references merchants(id),
        name text not null,
        amount_minor bigint not null check (amount_minor > 0),
        currency char(3) not null,
        interval text not null check (interval in ('day','week','month','year')),
        interval_count integer not null check (interval_count between 1 and 365),
        trial_period_days integer check (trial_period_days between 0 and 730),
        active boolean not null default true,
        metadata jsonb not null default '{}',
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index plans_merchant_created_idx on plans (merchant_id, created_at desc, id desc);`);

    // A projection of the subscription workflow's state, written by its activities. `version` only
    // grows, so a late retry of an older write can never overwrite a newer state.
    this.addSql(`
      create table subscriptions (
        id text primary key,
        merchant_id text not null references merchants(id),
        customer_id text not null references customers(id),
        plan_id text not null references plans(id),
        status text not null check (status in ('incomplete','trialing','active','past_due','unpaid','canceled','paused')),
        billing_anchor timestamptz not null,
        current_period_start timestamptz,
        current_period_end timestamptz,
        trial_start timestamptz,
        trial_end timestamptz,
        cancel_at_period_end boolean not null default false,
        canceled_at timestamptz,
        ended_at timestamptz,
        paused_at timestamptz,
        latest_invoice_id text,
        next_billing_at timestamptz,
        credit_balance_minor bigint not null default 0 check (credit_balance_minor >= 0),
        metadata jsonb not null default '{}',
        version bigint not null default 0,
        created_at timestamptz not null,
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`create index subscriptions_merchant_created_idx on subscriptions (merchant_id, created_at desc, id desc);`);
    this.addSql(`create index subscriptions_customer_idx on subscriptions (customer_id);`);
    this.addSql(`create index subscriptions_status_idx on subscriptions (status, next_billing_at);`);

    this.addSql(`
      create table invoices (
        id text primary key,
        merchant_id text not null references merchants(id),
        subscription_id text not null references subscriptions(id),
        customer_id text not null references customers(id),
        cycle integer not null,
        status text not null check (status in ('draft','open','paid','uncollectible','void')),
        billing_reason text not null check (billing_reason in ('subscription_create','subscription_cycle','subscription_update')),
        currency char(3) not null,
        lines jsonb not null,
        subtotal_minor bigint not null,
        credit_applied_minor bigint not null default 0 check (credit_applied_minor >= 0),
        amount_due_minor bigint not null check (amount_due_minor >= 0),
        amount_paid_minor bigint not null default 0 check (amount_paid_minor >= 0),
        attempt_count integer not null default 0,
        next_payment_attempt timestamptz,
        last_payment_id text,
        last_failure_code text,
        period_start timestamptz not null,
        period_end timestamptz not null,
        paid_at timestamptz,
        marked_uncollectible_at timestamptz,
        voided_at timestamptz,
        version bigint not null default 0,
        created_at timestamptz not null,
        updated_at timestamptz not null default now(),
        unique (subscription_id, cycle),
        check (amount_paid_minor <= amount_due_minor)
      );`);
    this.addSql(`create index invoices_merchant_created_idx on invoices (merchant_id, created_at desc, id desc);`);
    this.addSql(`create index invoices_subscription_idx on invoices (subscription_id, created_at desc);`);
    this.addSql(`create index invoices_open_idx on invoices (next_payment_attempt) where status = 'open';`);
  }

  override async down(): Promise<void> {
    for (const table of ['invoices', 'subscriptions', 'plans', 'customers']) this.addSql(`drop table if exists ${table} cascade;`);
  }
}
