import { Migration } from '@mikro-orm/migrations';

/**
 * Automatic payouts through a merchant's Stripe account: a schedule may name the gateway account its
 * runs pay out through instead of the merchant's default bank accounts (null, as every existing row).
 * Gateway accounts are disabled, never erased, so the reference stays valid; each run checks the
 * account is still usable.
 */
export class Migration20261207050000PayoutScheduleGatewayAccount extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table payout_schedules add column gateway_account_id text references gateway_accounts(id);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table payout_schedules drop column gateway_account_id;`);
  }
}
