import type { ReportFormat, ReportRunStatus, ReportType } from './report-run-record';

/** What a report run's workflow is given: everything its file needs, fixed when the run was made. */
export interface ReportRunWorkflowInput {
  runId: string;
  merchantId: string;
  reportType: ReportType;
  format: ReportFormat;
  /** The period as requested and as resolved (microseconds, ISO 8601 UTC), see ReportRange. */
  range: { from: string; to: string; startsAt: string; endsBefore: string };
  fileId: string;
  filename: string;
}

/** The file a build stored. */
export interface BuiltReportFile {
  fileId: string;
  size: number;
}

/** The run as its workflow knows it (getReportRunState). */
export interface ReportRunState {
  runId: string;
  status: ReportRunStatus;
  /** The file's size in bytes once it is built. */
  size: number | null;
  error: string | null;
}

export const reportRunWorkflowId = (runId: string): string => `report-run-${runId}`;
