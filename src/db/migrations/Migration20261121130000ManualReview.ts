import { Migration } from '@mikro-orm/migrations';

/** Manual review: a payment the fraud rules hold for ops' decision is stored as `requires_review`. */
export class Migration20261121130000ManualReview extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table payments drop constraint payments_status_check;`);
    this.addSql(`alter table payments add constraint payments_status_check
      check (status in ('processing','requires_review','requires_capture','succeeded','failed','canceled'));`);
  }

  override async down(): Promise<void> {
    // Fails while a payment is held for review: let its workflow decide it first, rather than rewrite its status here.
    this.addSql(`alter table payments drop constraint payments_status_check;`);
    this.addSql(`alter table payments add constraint payments_status_check
      check (status in ('processing','requires_capture','succeeded','failed','canceled'));`);
  }
}
