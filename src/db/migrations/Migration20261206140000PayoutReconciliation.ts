import { Migration } from '@mikro-orm/migrations';

/**
 * Reconciliation runs of a kind: the existing gateway settlement, or payouts against a bank's
 * statement (uploaded, or the sandbox bank's daily statement). Existing runs are settlement runs.
 */
export class Migration20261206140000PayoutReconciliation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table reconciliations add column kind text not null default 'settlement' check (kind in ('settlement','payouts'));`);
    this.addSql(`alter table reconciliations drop constraint reconciliations_source_check;`);
    // A gateway's report only ever settles charges and refunds; a bank's statement only payouts.
    this.addSql(`
      alter table reconciliations add constraint reconciliations_source_check check (
        source in ('upload','gateway_report','bank_statement')
        and (source <> 'gateway_report' or kind = 'settlement')
        and (source <> 'bank_statement' or kind = 'payouts')
      );`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from reconciliation_items where reconciliation_id in (select id from reconciliations where kind = 'payouts');`);
    this.addSql(`delete from reconciliations where kind = 'payouts';`);
    this.addSql(`alter table reconciliations drop constraint reconciliations_source_check;`);
    this.addSql(`alter table reconciliations add constraint reconciliations_source_check check (source in ('upload','gateway_report'));`);
    this.addSql(`alter table reconciliations drop column kind;`);
  }
}
