import { Migration } from '@mikro-orm/migrations';

/**
 * When the bank says a payout was paid and, if so, returned (its value times), beside when we
 * recorded it: a bank statement lists a movement on the bank's day, and reconciliation must match
 * it on that day even when the workflow learned of it hours later.
 */
export class Migration20261206150000PayoutValueDates extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table payouts add column paid_at timestamptz, add column returned_at timestamptz;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table payouts drop column paid_at, drop column returned_at;`);
  }
}
