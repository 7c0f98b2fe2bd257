import { apiTimestamp, apiTimestampOrNull } from '../shared/timestamps';
import type { FileRecord } from './file-record';
import type { ReportRunRecord } from './report-run-record';

export type FileJson = ReturnType<typeof renderFile>;
export type ReportRunJson = ReturnType<typeof renderReportRun>;

/** Where a file's bytes are downloaded, with the merchant's key. */
export const fileContentsPath = (fileId: string): string => `/v1/files/${fileId}/contents`;

/** A stored file as the API shows it. */
export function renderFile(file: FileRecord) {
  return {
    id: file.id,
    object: 'file' as const,
    purpose: file.purpose,
    filename: file.filename,
    type: file.type,
    size: file.size ?? 0,
    created_at: apiTimestamp(file.createdAt),
    expires_at: apiTimestampOrNull(file.expiresAt),
    url: fileContentsPath(file.id),
  };
}

/** A report run as the API shows it; `result` is its file once it succeeded (and the file is ready). */
export function renderReportRun(run: ReportRunRecord, file: FileRecord | null) {
  return {
    id: run.id,
    object: 'reporting.report_run' as const,
    report_type: run.reportType,
    parameters: { from: run.from, to: run.to, format: run.format },
    status: run.status,
    error: run.error,
    // An expired file stays the run's result (its expires_at tells why the download is gone), as Stripe's runs keep theirs.
    result: run.status === 'succeeded' && file && file.status !== 'building' ? renderFile(file) : null,
    livemode: run.livemode,
    created_at: apiTimestamp(run.createdAt),
    succeeded_at: apiTimestampOrNull(run.succeededAt),
  };
}
