import { Readable } from 'node:stream';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { inTransaction, sqlFor } from '../db/sql';
import { identityForCreate, type IdempotencyContext } from '../idempotency/idempotency-keys';
import type { Merchant } from '../merchants/merchant-record';
import { resolveReportRange, type ReportRange } from '../reports/report-range';
import { transactionReportFilename } from '../reports/transaction-report-service';
import { ApiError, apiErrors } from '../shared/api-error';
import { newId } from '../shared/ids';
import { startOrJoin } from '../temporal/entity-workflows';
import { MerchantIdKey } from '../temporal/search-attributes';
import { reportRunWorkflow } from '../../workflows/report-run-workflow';
import type { FileRecord } from './file-record';
import { FileRepository } from './file-repository';
import type { ReportRunRecord } from './report-run-record';
import { ReportRunRepository } from './report-run-repository';
import type { CreateReportRunBody } from './report-run-schemas';
import { reportRunWorkflowId, type ReportRunWorkflowInput } from './report-run-state';
import { renderReportRun, type ReportRunJson } from './report-run-view';

export interface ReportRunServiceDeps {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  now?: () => Date;
}

/** A stored file ready to send: its headers, and its chunks read one at a time as the client takes them. */
export interface FileDownload {
  headers: Record<string, string>;
  body: Readable;
}

const CONTENT_TYPES: Record<FileRecord['type'], string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** The period's rules answer with `from` or `to`; here those fields sit inside `parameters`, and the error names them there. */
function resolveParameters(parameters: CreateReportRunBody['parameters'], now: Date): ReportRange {
  try {
    return resolveReportRange(parameters, now);
  } catch (error) {
    if (error instanceof ApiError && error.param)
      throw new ApiError(error.status, error.message, error.code, `parameters[${error.param}]`, error.details);
    throw error;
  }
}

/** Report runs: a report built into a file by its own workflow (`report-run-<id>`), and the file's download. */
export class ReportRunService {
  private readonly now: () => Date;

  constructor(private readonly deps: ReportRunServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Makes a report run and starts its workflow, answering at once (pending), whatever the report's size;
   * a retried request with the same Idempotency-Key answers the same run and starts nothing new.
   * @throws 400 parameter_missing, 400 parameter_invalid, 400 parameter_unknown, 400 date_in_future, 400 date_range_invalid, 400 date_range_too_long, 409 idempotency_key_in_use, 422 idempotency_key_reused, 503 engine_unavailable
   */
  async create(merchant: Merchant, body: CreateReportRunBody, idempotency?: IdempotencyContext): Promise<ReportRunJson> {
    const range = resolveParameters(body.parameters, this.now());
    const format = body.parameters.format;
    const request = { report_type: body.report_type, parameters: { from: range.from, to: range.to, format } };
    const { id, createdAt } = await identityForCreate(this.deps.orm.em.fork(), merchant.id, idempotency, request, {
      id: newId('frr'),
      createdAt: new Date(),
    });
    // A retry finds the first request's row (and its file id) and only makes sure its workflow runs.
    const run = await inTransaction(this.deps.orm, (sql) =>
      new ReportRunRepository(sql).insertIfAbsent({
        id,
        merchantId: merchant.id,
        livemode: merchant.livemode,
        reportType: body.report_type,
        from: range.from,
        to: range.to,
        format,
        startsAt: range.startsAt,
        endsBefore: range.endsBefore,
        fileId: newId('file'),
        status: 'pending',
        error: null,
        createdAt,
        succeededAt: null,
        failedAt: null,
      }),
    );
    try {
      await this.start(run);
    } catch (error) {
      // Without a key the client cannot ask for this run again: no run is left pending with nothing to build it.
      // With one, the key keeps the run's id and the retry starts its workflow.
      if (!idempotency) await inTransaction(this.deps.orm, (sql) => new ReportRunRepository(sql).deletePending(run.id));
      throw error;
    }
    return this.render(run);
  }

  /**
   * The merchant's report run.
   * @throws 404 resource_missing
   */
  async get(merchant: Pick<Merchant, 'id'>, id: string): Promise<ReportRunJson> {
    const run = await inTransaction(this.deps.orm, (sql) => new ReportRunRepository(sql).findForMerchant(merchant.id, id));
    if (!run) throw apiErrors.notFound('Report run');
    return this.render(run);
  }

  /**
   * The merchant's report runs, newest first.
   * @throws 400 resource_missing (an unknown `starting_after`)
   */
  async list(
    merchant: Pick<Merchant, 'id'>,
    query: { limit: number; startingAfter?: string },
  ): Promise<{ data: ReportRunJson[]; hasMore: boolean }> {
    return inTransaction(this.deps.orm, async (sql) => {
      const runs = new ReportRunRepository(sql);
      if (query.startingAfter && !(await runs.findForMerchant(merchant.id, query.startingAfter)))
        throw apiErrors.noSuch('report run', query.startingAfter);
      const page = await runs.listForMerchant(merchant.id, query.limit, query.startingAfter);
      const succeeded = page.data.filter((run) => run.status === 'succeeded').map((run) => run.fileId);
      const files = await new FileRepository(sql).findByIds(succeeded);
      return { data: page.data.map((run) => renderReportRun(run, files.get(run.fileId) ?? null)), hasMore: page.hasMore };
    });
  }

  /**
   * The merchant's file, streamed chunk by chunk (one short query each, no connection held while the client reads).
   * @throws 404 resource_missing, 410 file_expired
   */
  async openFile(merchant: Pick<Merchant, 'id'>, id: string): Promise<FileDownload> {
    const file = await inTransaction(this.deps.orm, (sql) => new FileRepository(sql).findForMerchant(merchant.id, id));
    if (!file || file.status === 'building') throw apiErrors.notFound('File');
    // A ready file always has its expires_at; an expired one has lost its bytes to the daily clean-up.
    const expiresAt = file.expiresAt ?? new Date(0);
    if (file.status === 'expired' || expiresAt.getTime() <= this.now().getTime())
      throw new ApiError(410, `This file expired at ${expiresAt.toISOString()}; create a new report run.`, 'file_expired', 'id');
    const files = new FileRepository(sqlFor(this.deps.orm.em.fork()));
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let seq = 0; ; seq += 1) {
        const chunk = await files.chunk(file!.id, seq);
        if (!chunk) return;
        yield chunk;
      }
    }
    return {
      headers: {
        'Content-Type': CONTENT_TYPES[file.type],
        'Content-Disposition': `attachment; filename="${file.filename}"`,
        'Content-Length': String(file.size ?? 0),
      },
      body: Readable.from(chunks(), { highWaterMark: 1 }),
    };
  }

  private async render(run: ReportRunRecord): Promise<ReportRunJson> {
    const file =
      run.status === 'succeeded' ? await inTransaction(this.deps.orm, (sql) => new FileRepository(sql).findById(run.fileId)) : null;
    return renderReportRun(run, file);
  }

  /** Starts the run's workflow, or joins it (a retried create); one that already finished is left as it is. */
  private async start(run: ReportRunRecord): Promise<void> {
    const input: ReportRunWorkflowInput = {
      runId: run.id,
      merchantId: run.merchantId,
      reportType: run.reportType,
      format: run.format,
      range: { from: run.from, to: run.to, startsAt: run.startsAt, endsBefore: run.endsBefore },
      fileId: run.fileId,
      filename: transactionReportFilename(run, run.format),
    };
    await startOrJoin(this.deps.temporal, reportRunWorkflow, {
      workflowId: reportRunWorkflowId(run.id),
      taskQueue: this.deps.taskQueue,
      input,
      searchAttributes: [{ key: MerchantIdKey, value: run.merchantId }],
      summary: `${run.reportType} report ${run.from} to ${run.to} (${run.format}) for merchant ${run.merchantId}`,
      details: `Report run ${run.id}, file ${run.fileId}`,
    });
  }
}
