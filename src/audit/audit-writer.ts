import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import type { Logger } from '../logger';
import { dependencyOutage } from '../api/transient-failures';
import { newId } from '../shared/ids';
import type { AuditRecord } from './audit-record';
import { AuditRepository } from './audit-repository';

const FLUSH_DELAY_MS = 50;
const BATCH_ROWS = 200;
const RETRY_DELAY_MS = 1_000;
// Past this, a long database outage costs the oldest rows rather than the process's memory (and each loss is logged).
const MAX_PENDING = 20_000;

/**
 * Writes audit rows after the response is decided, off the request's path: rows wait in memory at
 * most ~50 ms and go in as one multi-row INSERT. A failed write is retried, keeping the rows;
 * `stop()` writes what is left. The price: a process that dies abruptly loses its last ~50 ms
 * of rows (and rows beyond MAX_PENDING during a long outage), logged when it can be.
 */
export class AuditWriter {
  private pending: (AuditRecord & { id: string })[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private stopped = false;

  constructor(private readonly deps: { orm: Orm; logger: Logger }) {}

  /** Queues a row; never throws and never waits. */
  record(record: AuditRecord): void {
    if (this.stopped) {
      this.deps.logger.error({ action: record.action, requestId: record.requestId }, 'audit row after shutdown: not written');
      return;
    }
    this.pending.push({ ...record, id: newId('aud') });
    if (this.pending.length > MAX_PENDING) {
      const dropped = this.pending.splice(0, this.pending.length - MAX_PENDING);
      this.deps.logger.error(
        { dropped: dropped.length, oldestRequestId: dropped[0].requestId },
        'audit log backlog full: oldest rows dropped',
      );
    }
    if (this.pending.length >= BATCH_ROWS) this.schedule(0);
    else this.schedule(FLUSH_DELAY_MS);
  }

  /** Writes every queued row now (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0) return;
    this.flushing = this.writeBatches().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  /** Writes what is queued and stops taking rows. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush().catch((error) =>
      this.deps.logger.error({ err: error, lost: this.pending.length }, 'audit rows not written at shutdown'),
    );
  }

  private schedule(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((error) => {
        this.deps.logger[dependencyOutage(error) ? 'warn' : 'error'](
          { err: error, pending: this.pending.length },
          'audit log write failed; retrying',
        );
        if (!this.stopped) this.schedule(RETRY_DELAY_MS);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async writeBatches(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, BATCH_ROWS);
      await new AuditRepository(sqlFor(this.deps.orm.em.fork())).insertBatch(batch);
      // By identity, not position: rows dropped for the backlog meanwhile would shift positions.
      const written = new Set(batch);
      this.pending = this.pending.filter((row) => !written.has(row));
    }
  }
}
