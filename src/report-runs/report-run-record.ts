/** What a report run is in: pending while its workflow builds the file, then succeeded or failed for good. */
export const REPORT_RUN_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type ReportRunStatus = (typeof REPORT_RUN_STATUSES)[number];

export const REPORT_TYPES = ['transactions'] as const;
export type ReportType = (typeof REPORT_TYPES)[number];

export const REPORT_FORMATS = ['csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** One row of report_runs: the request as made, its period resolved at creation, and its outcome. */
export interface ReportRunRecord {
  id: string;
  merchantId: string;
  livemode: boolean;
  reportType: ReportType;
  /** `from` and `to` as the request gave them. */
  from: string;
  to: string;
  format: ReportFormat;
  /** The resolved period (microseconds, ISO 8601 UTC): the file covers exactly what it did when the run was made. */
  startsAt: string;
  endsBefore: string;
  /** Chosen at creation, so every attempt of the build writes the same file. */
  fileId: string;
  status: ReportRunStatus;
  error: string | null;
  createdAt: Date;
  succeededAt: Date | null;
  failedAt: Date | null;
}
