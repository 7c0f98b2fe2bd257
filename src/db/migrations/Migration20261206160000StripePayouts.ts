import { Migration } from '@mikro-orm/migrations';

/**
 * Payouts through a merchant's Stripe account: Stripe pays that account's own external bank
 * account, so such a payout names the gateway account instead of one of our bank accounts, and
 * learns the destination's last 4 only when Stripe answers. Exactly one destination per payout.
 */
export class Migration20261206160000StripePayouts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table payouts
        alter column bank_account_id drop not null,
        alter column bank_account_last4 drop not null,
        add column gateway_account_id text references gateway_accounts(id),
        add constraint payouts_one_destination check ((bank_account_id is null) <> (gateway_account_id is null));`);
    this.addSql(`create index payouts_gateway_account_idx on payouts (gateway_account_id) where gateway_account_id is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from payouts where gateway_account_id is not null;`);
    this.addSql(`
      alter table payouts
        drop constraint payouts_one_destination,
        drop column gateway_account_id,
        alter column bank_account_id set not null,
        alter column bank_account_last4 set not null;`);
  }
}
