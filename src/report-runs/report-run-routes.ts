import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import { TRANSACTION_CSV_DESCRIPTION, transactionReportSchema } from '../reports/report-schemas';
import {
  createReportRunBody,
  fileIdParams,
  listReportRunsQuery,
  reportRunIdParams,
  reportRunListSchema,
  reportRunSchema,
} from './report-run-schemas';
import type { ReportRunService } from './report-run-service';

/** /v1/reporting/report_runs and /v1/files: a report built in the background, then downloaded. */
export function reportRunRoutes(runs: ReportRunService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/reporting/report_runs',
      operationId: 'createReportRun',
      tags: ['Reports'],
      auth: 'merchant',
      idempotent: 'create',
      summary: 'Build a report in the background',
      description:
        'Answers at once with the run, pending, however large the report: its workflow report-run-<id> builds the file, then the run ' +
        'is succeeded (result is the file; event reporting.report_run.succeeded) or failed (error; reporting.report_run.failed). ' +
        "The period's rules are GET /v1/reports/transactions's, and the file's bytes are what that endpoint sends for the same period and format.",
      body: createReportRunBody,
      responses: {
        201: { description: 'The run, pending.', schema: reportRunSchema },
        ...errorResponses,
        422: { description: 'The Idempotency-Key was used before with different parameters.', schema: errorSchema },
        503: { description: 'The workflow engine is unreachable; retry with the same Idempotency-Key.', schema: errorSchema },
      },
      async handle({ body, merchant, idempotencyKey, requestPath }) {
        const idempotency = idempotencyKey ? { key: idempotencyKey, method: 'POST', path: requestPath } : undefined;
        return { status: 201, body: await runs.create(merchant, body, idempotency) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/reporting/report_runs/:id',
      operationId: 'getReportRun',
      tags: ['Reports'],
      auth: 'merchant',
      summary: 'Retrieve a report run',
      params: reportRunIdParams,
      responses: {
        200: { description: 'The report run.', schema: reportRunSchema },
        ...errorResponses,
        404: { description: 'Report run not found.', schema: errorSchema },
      },
      async handle({ params, merchant }) {
        return { status: 200, body: await runs.get(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/reporting/report_runs',
      operationId: 'listReportRuns',
      tags: ['Reports'],
      auth: 'merchant',
      summary: 'List report runs, newest first',
      query: listReportRunsQuery,
      responses: { 200: { description: 'A page of report runs.', schema: reportRunListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await runs.list(merchant, { limit: query.limit, startingAfter: query.starting_after });
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/files/:id/contents',
      operationId: 'getFileContents',
      tags: ['Reports'],
      auth: 'merchant',
      summary: "Download a report run's file",
      description:
        'The stored bytes, with the Content-Type of the file (text/csv or application/json) and Content-Disposition: attachment; ' +
        'filename="<filename>". Until expires_at; after it, 410 file_expired.',
      params: fileIdParams,
      responses: {
        200: {
          description: "The file: a transaction report's JSON or CSV.",
          schema: transactionReportSchema,
          otherContent: { 'text/csv': TRANSACTION_CSV_DESCRIPTION },
        },
        ...errorResponses,
        404: { description: 'File not found.', schema: errorSchema },
        410: { description: 'The file expired (file_expired).', schema: errorSchema },
      },
      async handle({ params, merchant }, ctx) {
        const file = await runs.openFile(merchant, params.id);
        ctx.set(file.headers);
        return { status: 200, body: file.body };
      },
    }),
  ];
}
