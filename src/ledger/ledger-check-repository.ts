import type { Sql } from '../db/sql';
import { newId } from '../shared/ids';

/** One daily check as it is recorded. */
export interface LedgerCheckRun {
  runKey: string;
  asOf: Date;
  balanced: boolean;
  summary: unknown;
  findings: unknown;
}

/** Reads and writes of the recorded ledger checks (ledger_check_runs). */
export class LedgerCheckRepository {
  constructor(private readonly sql: Sql) {}

  /** Records the check under its run key, replacing what an earlier attempt of the same run recorded; answers its id. */
  async record(run: LedgerCheckRun): Promise<string> {
    const [row] = await this.sql.query<{ id: string }>(
      `insert into ledger_check_runs (id, run_key, as_of, balanced, summary, findings) values (?, ?, ?, ?, ?, ?)
       on conflict (run_key) do update set as_of = excluded.as_of, balanced = excluded.balanced, summary = excluded.summary, findings = excluded.findings
       returning id`,
      [newId('lck'), run.runKey, run.asOf, run.balanced, JSON.stringify(run.summary), JSON.stringify(run.findings)],
    );
    return row.id;
  }

  /** The latest checks, newest first. */
  async listRecent(limit: number): Promise<Record<string, any>[]> {
    return this.sql.query<Record<string, any>>(
      `select id, as_of, balanced, summary, created_at from ledger_check_runs order by created_at desc, id desc limit ?`,
      [limit],
    );
  }
}
