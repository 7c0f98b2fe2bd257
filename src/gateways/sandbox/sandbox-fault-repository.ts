import type { Sql } from '../../db/sql';
import type { SandboxFaultRecord } from './sandbox-fault-record';

/** Every write of `sandbox_faults`: chaos runs read it directly, in their own SQL. */
export class SandboxFaultRepository {
  constructor(private readonly sql: Sql) {}

  async insert(fault: SandboxFaultRecord): Promise<void> {
    await this.sql.query('insert into sandbox_faults (kind, operation, idempotency_key, pid) values (?, ?, ?, ?)', [
      fault.kind,
      fault.operation,
      fault.idempotencyKey,
      fault.pid,
    ]);
  }
}
