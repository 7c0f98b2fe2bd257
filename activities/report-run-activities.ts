import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Orm } from '../src/db/orm';
import { inTransaction, sqlFor } from '../src/db/sql';
import { recordEvent } from '../src/events/event-recorder';
import { FILE_RETENTION_DAYS } from '../src/report-runs/file-record';
import { FileRepository } from '../src/report-runs/file-repository';
import { ReportRunRepository } from '../src/report-runs/report-run-repository';
import type { BuiltReportFile, ReportRunWorkflowInput } from '../src/report-runs/report-run-state';
import { renderReportRun } from '../src/report-runs/report-run-view';
import { TransactionReportRepository, type KeysetCursor } from '../src/reports/transaction-report-repository';
import { csvRendering, jsonRendering } from '../src/reports/transaction-report-service';
import { operationFailure } from '../src/shared/failure-types';

export interface ReportRunActivityDeps {
  orm: Orm;
  /** Rows per keyset query of a report run's build (1,000 by default). */
  reportRunBatchSize?: number;
  /** The largest file a report run may store, in bytes (1 GiB by default). */
  reportFileMaxBytes?: number;
}

/** Bytes per row of file_chunks: small enough that neither a build nor a download holds much, large enough that a big file is few rows. */
export const FILE_CHUNK_BYTES = 1 << 20;
const DEFAULT_MAX_BYTES = 1 << 30;
const DAY_MS = 86_400_000;

/** Cuts the text it is given into FILE_CHUNK_BYTES chunks as it comes, holding at most one chunk. */
class ChunkWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  size = 0;
  chunks = 0;

  constructor(
    private readonly files: FileRepository,
    private readonly fileId: string,
    private readonly maxBytes: number,
  ) {}

  async write(text: string): Promise<void> {
    if (text === '') return;
    const bytes = Buffer.from(text, 'utf8');
    this.size += bytes.length;
    if (this.size > this.maxBytes)
      throw operationFailure(
        'ReportRunFileTooLarge',
        `The report is larger than ${this.maxBytes} bytes, the most a report run stores; ask for a shorter period.`,
      );
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    while (this.pendingBytes >= FILE_CHUNK_BYTES) {
      const joined = Buffer.concat(this.pending);
      await this.flush(joined.subarray(0, FILE_CHUNK_BYTES));
      const rest = joined.subarray(FILE_CHUNK_BYTES);
      this.pending = rest.length > 0 ? [Buffer.from(rest)] : [];
      this.pendingBytes = rest.length;
    }
  }

  async end(): Promise<void> {
    if (this.pendingBytes > 0) await this.flush(Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }

  private async flush(chunk: Buffer): Promise<void> {
    await this.files.writeChunk(this.fileId, this.chunks, chunk);
    this.chunks += 1;
  }
}

export function createReportRunActivities({
  orm,
  reportRunBatchSize = 1_000,
  reportFileMaxBytes = DEFAULT_MAX_BYTES,
}: ReportRunActivityDeps) {
  return {
    /**
     * Builds a report run's file: the rows in keyset batches, rendered exactly as the synchronous report
     * renders them, stored in FILE_CHUNK_BYTES chunks as they come (never the whole file in memory), with a
     * heartbeat per batch. A retry starts the file over under the same id and chunk numbers, so chunks are
     * replaced, never duplicated; a file already finished is answered as it is.
     * @throws ReportRunFileTooLarge (non-retryable) past reportFileMaxBytes; the partial file is deleted
     */
    async buildReportRunFile(input: ReportRunWorkflowInput): Promise<BuiltReportFile> {
      const context = Context.current();
      const files = new FileRepository(sqlFor(orm.em.fork()));
      const file = await files.startBuilding({
        id: input.fileId,
        merchantId: input.merchantId,
        purpose: 'report_run',
        filename: input.filename,
        type: input.format,
        createdAt: new Date(),
      });
      if (file.status === 'ready') return { fileId: file.id, size: file.size ?? 0 };

      const reports = new TransactionReportRepository(sqlFor(orm.em.fork()));
      const rendering =
        input.format === 'csv'
          ? csvRendering(input.range)
          : jsonRendering(input.range, await reports.totals(input.merchantId, input.range));
      const writer = new ChunkWriter(files, input.fileId, reportFileMaxBytes);
      try {
        await writer.write(rendering.prefix);
        let rows = 0;
        let after: KeysetCursor | undefined;
        for (;;) {
          const batch = await reports.batch(input.merchantId, input.range, reportRunBatchSize, after);
          if (batch.length > 0) await writer.write(rendering.rows(batch, rows === 0));
          rows += batch.length;
          context.heartbeat({ rows, bytes: writer.size });
          // Abandoned (heartbeat timeout, the workflow gone): stop writing, a newer attempt owns the file.
          if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason ?? new Error('report run build canceled');
          if (batch.length < reportRunBatchSize) break;
          const last = batch[batch.length - 1];
          after = { createdAt: last.createdAt, id: last.id };
        }
        await writer.write(rendering.suffix);
        await writer.end();
      } catch (error) {
        if (error instanceof ApplicationFailure && !context.cancellationSignal.aborted) await files.deleteUnfinished(input.fileId);
        throw error;
      }
      const expiresAt = new Date(file.createdAt.getTime() + FILE_RETENTION_DAYS * DAY_MS);
      if (!(await files.finish(input.fileId, { chunks: writer.chunks, size: writer.size, expiresAt })))
        throw new Error(`File ${input.fileId}'s stored chunks are not the ones this build wrote (another attempt is writing it)`);
      return { fileId: input.fileId, size: writer.size };
    },

    /**
     * Records a run's outcome: the row succeeded (its file the result) or failed with the reason, and its
     * `reporting.report_run.succeeded` / `.failed` event, in one transaction. A retry after the commit finds
     * the run decided and records nothing twice (the event's key is the run's and the outcome's).
     */
    async recordReportRunOutcome({
      runId,
      fileId,
      outcome,
    }: {
      runId: string;
      fileId: string;
      outcome: { status: 'succeeded' } | { status: 'failed'; error: string };
    }): Promise<void> {
      await inTransaction(orm, async (sql) => {
        const runs = new ReportRunRepository(sql);
        const { applied, run } = await runs.decide(runId, {
          status: outcome.status,
          error: outcome.status === 'failed' ? outcome.error : null,
          at: new Date(),
        });
        const files = new FileRepository(sql);
        if (!run) {
          // Withdrawn: its create could not confirm the workflow's start and, having no Idempotency-Key, deleted the run.
          await files.delete(fileId);
          return;
        }
        if (!applied) {
          if (run.status === outcome.status) return;
          throw new Error(`Report run ${runId} is ${run.status}; cannot record ${outcome.status}`);
        }
        if (outcome.status === 'failed') await files.deleteUnfinished(run.fileId);
        const file = outcome.status === 'succeeded' ? await files.findById(run.fileId) : null;
        await recordEvent(sql, {
          merchantId: run.merchantId,
          type: `reporting.report_run.${outcome.status}`,
          idempotencyKey: `report_run:${run.id}:${outcome.status}`,
          objectType: 'reporting.report_run',
          objectId: run.id,
          object: { ...renderReportRun(run, file) },
        });
      });
    },
  };
}
