import { Migration } from '@mikro-orm/migrations';

/** Sandbox fault injection (SANDBOX_FAULTS, tests and demos): one row per fault injected, so a chaos run can count them by kind. */
export class Migration20261121140000SandboxFaults extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table sandbox_faults (
        id bigserial primary key,
        kind text not null,
        operation text not null,
        idempotency_key text not null,
        pid integer not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index sandbox_faults_idempotency_key_idx on sandbox_faults (idempotency_key);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists sandbox_faults;`);
  }
}
