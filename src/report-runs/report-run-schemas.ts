import { z } from 'zod';
import { ISO_DAY_OR_TIMESTAMP_PATTERN } from '../api/documented-formats';
import { MAX_REPORT_DAYS } from '../reports/report-range';
import { FILE_RETENTION_DAYS } from './file-record';
import { REPORT_FORMATS, REPORT_RUN_STATUSES, REPORT_TYPES } from './report-run-record';

const bound = z.string().max(40).meta({ pattern: ISO_DAY_OR_TIMESTAMP_PATTERN });

// from and to are optional to the parser, so that a missing one is answered by the report's own
// "Both from and to are required" (as GET /v1/reports/transactions answers it); the document lists them as required.
export const createReportRunBody = z.strictObject({
  report_type: z
    .enum(REPORT_TYPES)
    .describe('transactions: the payments created in the period, as GET /v1/reports/transactions reports them.'),
  parameters: z
    .strictObject({
      from: bound
        .optional()
        .describe('Start, inclusive: a UTC day (2026-11-01) or an ISO 8601 timestamp with a time zone. Not after today (UTC).'),
      to: bound
        .optional()
        .describe(
          `End, inclusive: a UTC day (the whole day) or a timestamp. Not after today (UTC); at most ${MAX_REPORT_DAYS} days after from.`,
        ),
      format: z
        .enum(REPORT_FORMATS)
        .default('csv')
        .describe("csv (default) or json: the file's bytes are what GET /v1/reports/transactions sends for the same period and format."),
    })
    .meta({ required: ['from', 'to'] })
    .describe('The period and format, checked as GET /v1/reports/transactions checks them.'),
});
export type CreateReportRunBody = z.output<typeof createReportRunBody>;

export const reportRunIdParams = z.strictObject({ id: z.string().max(255).describe('The report run id, frr_...') });
export const fileIdParams = z.strictObject({ id: z.string().max(255).describe('The file id, file_...') });

export const listReportRunsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().max(255).optional().describe('Cursor: the last id of the previous page.'),
});

export const fileSchema = z
  .object({
    id: z.string(),
    object: z.literal('file'),
    purpose: z.literal('report_run'),
    filename: z.string().describe('transactions_<from>_<to>.csv (or .json), as the synchronous CSV report names its download.'),
    type: z.enum(REPORT_FORMATS),
    size: z.number().int().describe('Bytes.'),
    created_at: z.string(),
    expires_at: z
      .string()
      .nullable()
      .describe(`When the contents stop being downloadable (410 file_expired): ${FILE_RETENTION_DAYS} days after created_at.`),
    url: z.string().describe('GET it with your API key: /v1/files/<id>/contents.'),
  })
  .describe("A report run's file.");

export const reportRunSchema = z
  .object({
    id: z.string(),
    object: z.literal('reporting.report_run'),
    report_type: z.enum(REPORT_TYPES),
    parameters: z.object({ from: z.string(), to: z.string(), format: z.enum(REPORT_FORMATS) }),
    status: z.enum(REPORT_RUN_STATUSES).describe('pending while the file is built, then succeeded or failed for good.'),
    error: z.string().nullable().describe('Why a failed run failed.'),
    result: fileSchema.nullable().describe('The file, once the run succeeded.'),
    livemode: z.boolean(),
    created_at: z.string(),
    succeeded_at: z.string().nullable(),
  })
  .describe('A report built in the background.');

export const reportRunListSchema = z.object({
  object: z.literal('list'),
  data: z.array(reportRunSchema),
  has_more: z.boolean(),
});
