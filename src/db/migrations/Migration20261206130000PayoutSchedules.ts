import { Migration } from '@mikro-orm/migrations';

/**
 * Each merchant's automatic payout settings (manual, daily, weekly or monthly; a delay in days; a
 * minimum per currency) and ops' pause of its payouts. A merchant without a row is on `manual`.
 * The Temporal Schedule `payouts-<merchant>` runs what a row says; the row is the source of truth.
 */
export class Migration20261206130000PayoutSchedules extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table payout_schedules (
        merchant_id text primary key references merchants(id),
        interval text not null default 'manual' check (interval in ('manual','daily','weekly','monthly')),
        weekly_anchor text check (weekly_anchor in ('monday','tuesday','wednesday','thursday','friday','saturday','sunday')),
        monthly_anchor integer check (monthly_anchor between 1 and 31),
        delay_days integer not null default 0 check (delay_days between 0 and 30),
        minimum_amounts jsonb not null default '{}' check (jsonb_typeof(minimum_amounts) = 'object'),
        paused boolean not null default false,
        paused_reason text,
        updated_at timestamptz not null,
        check ((interval = 'weekly') = (weekly_anchor is not null)),
        check ((interval = 'monthly') = (monthly_anchor is not null)),
        check (paused or paused_reason is null)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table payout_schedules;`);
  }
}
