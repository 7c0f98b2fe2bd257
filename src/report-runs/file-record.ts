import type { ReportFormat } from './report-run-record';

/** How long a report run's file can be downloaded after its build started (expires_at = created_at + this). */
export const FILE_RETENTION_DAYS = 30;

/** One row of files: a stored download; its bytes are its file_chunks. */
export interface FileRecord {
  id: string;
  merchantId: string;
  purpose: 'report_run';
  filename: string;
  type: ReportFormat;
  /**
   * building while a run's workflow writes it; ready (size and expires_at set) once every chunk is in;
   * expired once the daily data-retention run has deleted its chunks (the row stays, for the run's result).
   */
  status: 'building' | 'ready' | 'expired';
  size: number | null;
  createdAt: Date;
  expiresAt: Date | null;
}
