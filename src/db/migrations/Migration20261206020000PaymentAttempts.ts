import { Migration } from '@mikro-orm/migrations';

/** A payment's authorization attempts at its gateway accounts, when it could fail over from one to the next. */
export class Migration20261206020000PaymentAttempts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table payments add column attempts jsonb;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table payments drop column attempts;`);
  }
}
