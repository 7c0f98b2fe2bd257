import { Migration } from '@mikro-orm/migrations';

/**
 * Adyen accounts, and the notifications Adyen sent them. Checkout cannot be asked what became of a
 * payment or a modification: its notifications are the only record, so each item is kept (once per
 * pspReference, eventCode and success, Adyen's own identity of an item) for status sync to read.
 */
export class Migration20261206050000AdyenNotifications extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table gateway_accounts drop constraint gateway_accounts_gateway_check;`);
    this.addSql(
      `alter table gateway_accounts add constraint gateway_accounts_gateway_check check (gateway in ('sandbox','stripe','adyen'));`,
    );
    this.addSql(`
      create table adyen_notifications (
        gateway_account_id text not null references gateway_accounts(id),
        psp_reference text not null,
        event_code text not null,
        success boolean not null,
        original_reference text,
        merchant_reference text,
        amount_minor bigint,
        currency text,
        reason text,
        event_date text,
        received_at timestamptz not null default now(),
        primary key (gateway_account_id, psp_reference, event_code, success)
      );`);
    this.addSql(`create index adyen_notifications_merchant_reference_idx on adyen_notifications (gateway_account_id, merchant_reference);`);
    this.addSql(`create index adyen_notifications_original_reference_idx on adyen_notifications (gateway_account_id, original_reference);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table adyen_notifications;`);
    this.addSql(`alter table gateway_accounts drop constraint gateway_accounts_gateway_check;`);
    this.addSql(`alter table gateway_accounts add constraint gateway_accounts_gateway_check check (gateway in ('sandbox','stripe'));`);
  }
}
