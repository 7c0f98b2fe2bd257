import { selectNewestFirst, type Page } from '../db/pagination';
import type { Sql } from '../db/sql';
import type { ReportFormat, ReportRunRecord, ReportRunStatus, ReportType } from './report-run-record';

interface Row {
  id: string;
  merchant_id: string;
  livemode: boolean;
  report_type: ReportType;
  period_from: string;
  period_to: string;
  format: ReportFormat;
  starts_at: string;
  ends_before: string;
  file_id: string;
  status: ReportRunStatus;
  error: string | null;
  created_at: Date;
  succeeded_at: Date | null;
  failed_at: Date | null;
}

const toRecord = (row: Row): ReportRunRecord => ({
  id: row.id,
  merchantId: row.merchant_id,
  livemode: row.livemode,
  reportType: row.report_type,
  from: row.period_from,
  to: row.period_to,
  format: row.format,
  startsAt: row.starts_at,
  endsBefore: row.ends_before,
  fileId: row.file_id,
  status: row.status,
  error: row.error,
  createdAt: new Date(row.created_at),
  succeededAt: row.succeeded_at ? new Date(row.succeeded_at) : null,
  failedAt: row.failed_at ? new Date(row.failed_at) : null,
});

/** Every read and write of report_runs. */
export class ReportRunRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts the run unless a run with its id exists (a retried create); answers the stored run either way. */
  async insertIfAbsent(run: ReportRunRecord): Promise<ReportRunRecord> {
    await this.sql.query(
      `insert into report_runs (id, merchant_id, livemode, report_type, period_from, period_to, format, starts_at, ends_before, file_id,
         status, error, created_at, succeeded_at, failed_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (id) do nothing`,
      [
        run.id,
        run.merchantId,
        run.livemode,
        run.reportType,
        run.from,
        run.to,
        run.format,
        run.startsAt,
        run.endsBefore,
        run.fileId,
        run.status,
        run.error,
        run.createdAt,
        run.succeededAt,
        run.failedAt,
      ],
    );
    const stored = await this.findById(run.id);
    if (!stored) throw new Error(`Report run ${run.id} was not stored`);
    return stored;
  }

  async findById(id: string): Promise<ReportRunRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from report_runs where id = ?`, [id]);
    return row ? toRecord(row) : null;
  }

  async findForMerchant(merchantId: string, id: string): Promise<ReportRunRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from report_runs where id = ? and merchant_id = ?`, [id, merchantId]);
    return row ? toRecord(row) : null;
  }

  /** The merchant's runs, newest first (report_runs_merchant_created_idx). */
  async listForMerchant(merchantId: string, limit: number, startingAfter?: string): Promise<Page<ReportRunRecord>> {
    const page = await selectNewestFirst<Row>(this.sql, 'report_runs', [['merchant_id = ?', merchantId]], limit, startingAfter);
    return { data: page.data.map(toRecord), hasMore: page.hasMore };
  }

  /** Deletes a run whose workflow could not be started, so that no run stays pending with nothing to build it. */
  async deletePending(id: string): Promise<void> {
    await this.sql.query(`delete from report_runs where id = ? and status = 'pending'`, [id]);
  }

  /**
   * Moves a pending run to its outcome; answers the run as it now is and whether this call moved it.
   * A retry after a commit finds the run already decided and changes nothing.
   */
  async decide(
    id: string,
    outcome: { status: 'succeeded' | 'failed'; error: string | null; at: Date },
  ): Promise<{ applied: boolean; run: ReportRunRecord | null }> {
    const [row] = await this.sql.query<Row>(
      `update report_runs set status = ?, error = ?, succeeded_at = ?, failed_at = ?
        where id = ? and status = 'pending'
        returning *`,
      [
        outcome.status,
        outcome.error,
        outcome.status === 'succeeded' ? outcome.at : null,
        outcome.status === 'failed' ? outcome.at : null,
        id,
      ],
    );
    if (row) return { applied: true, run: toRecord(row) };
    return { applied: false, run: await this.findById(id) };
  }
}
