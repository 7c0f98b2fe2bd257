import { Migration } from '@mikro-orm/migrations';

/**
 * Customer receipts: each payment's unguessable receipt token (made when it succeeds) and where its
 * receipt emails go; every receipt email sent, once per event; and the outbox of events still to mail.
 */
export class Migration20261206070000Receipts extends Migration {
  override async up(): Promise<void> {
    // No reference to payments: the row is written before the payment's workflow writes the payment.
    this.addSql(`
      create table receipts (
        payment_id text primary key,
        merchant_id text not null references merchants(id),
        token text unique,
        email text,
        customer_id text references customers(id),
        created_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table receipt_emails (
        event_id text primary key references events(id),
        merchant_id text not null references merchants(id),
        payment_id text not null,
        refund_id text,
        recipient text not null,
        message_id text not null,
        sent_at timestamptz not null default now()
      );`);
    this.addSql(`create index receipt_emails_payment_idx on receipt_emails (payment_id);`);
    // The receipt mailer's outbox, filled by the transaction that records the event: its claims never
    // lock rows of events, which the webhook dispatcher claims on its own.
    this.addSql(`
      create table receipt_outbox (
        event_id text primary key references events(id),
        created_at timestamptz not null default now()
      );`);
    this.addSql(`
      create function receipt_outbox_enqueue() returns trigger language plpgsql as $$
      begin
        insert into receipt_outbox (event_id) values (new.id) on conflict do nothing;
        return new;
      end $$;`);
    this.addSql(`
      create trigger events_receipt_outbox after insert on events
        for each row when (new.type in ('payment.succeeded', 'refund.succeeded'))
        execute function receipt_outbox_enqueue();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger events_receipt_outbox on events;`);
    this.addSql(`drop function receipt_outbox_enqueue();`);
    this.addSql(`drop table receipt_outbox;`);
    this.addSql(`drop table receipt_emails;`);
    this.addSql(`drop table receipts;`);
  }
}
