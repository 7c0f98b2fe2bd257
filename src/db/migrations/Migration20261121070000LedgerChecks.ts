import { Migration } from '@mikro-orm/migrations';

/** The daily ledger checks: when the books were last proven to close, and what was found when they did not. */
export class Migration20261121070000LedgerChecks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table ledger_check_runs (
        id text primary key,
        run_key text not null unique,
        as_of timestamptz not null,
        balanced boolean not null,
        summary jsonb not null,
        findings jsonb not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index ledger_check_runs_created_idx on ledger_check_runs (created_at desc, id desc);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists ledger_check_runs;');
  }
}
