import { Migration } from '@mikro-orm/migrations';

/**
 * A run of a gateway account's payouts (a merchant's Stripe account) names the account: a merchant with two
 * Stripe accounts gets one run per account and day, and must be able to tell them apart. No foreign key: a
 * run outlives the account it checked.
 */
export class Migration20261207060000ReconciliationGatewayAccount extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table reconciliations add column gateway_account_id text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table reconciliations drop column gateway_account_id;`);
  }
}
