import { Migration } from '@mikro-orm/migrations';

/**
 * Report runs (a report built in the background by its workflow) and the files they produce. A file's
 * bytes live in `file_chunks`, about 1 MB a row, so neither writing nor reading one ever holds the
 * whole file; a retried build rewrites its file's chunks by (file_id, seq), never adds a second copy.
 */
export class Migration20261207070000ReportRuns extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table files (
        id text primary key,
        merchant_id text not null references merchants(id),
        purpose text not null check (purpose in ('report_run')),
        filename text not null,
        type text not null check (type in ('csv','json')),
        status text not null check (status in ('building','ready','expired')),
        size bigint check (size >= 0),
        created_at timestamptz not null,
        expires_at timestamptz
      );`);
    // The daily clean-up reads the files still holding bytes by expiry; those it emptied (expired) leave the index.
    this.addSql(`create index files_expires_idx on files (expires_at) where status = 'ready';`);
    this.addSql(`
      create table file_chunks (
        file_id text not null references files(id) on delete cascade,
        seq integer not null check (seq >= 0),
        data bytea not null,
        primary key (file_id, seq)
      );`);
    this.addSql(`
      create table report_runs (
        id text primary key,
        merchant_id text not null references merchants(id),
        livemode boolean not null,
        report_type text not null check (report_type in ('transactions')),
        period_from text not null,
        period_to text not null,
        format text not null check (format in ('csv','json')),
        starts_at text not null,
        ends_before text not null,
        file_id text not null,
        status text not null check (status in ('pending','succeeded','failed')),
        error text,
        created_at timestamptz not null,
        succeeded_at timestamptz,
        failed_at timestamptz
      );`);
    this.addSql(`create index report_runs_merchant_created_idx on report_runs (merchant_id, created_at desc, id desc);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table report_runs;`);
    this.addSql(`drop table file_chunks;`);
    this.addSql(`drop table files;`);
  }
}
