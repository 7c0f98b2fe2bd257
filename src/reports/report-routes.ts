import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses } from '../api/common-schemas';
import { TRANSACTION_CSV_DESCRIPTION, transactionReportQuery, transactionReportSchema } from './report-schemas';
import type { TransactionReportService } from './transaction-report-service';

/** GET /v1/reports/transactions: a merchant's payments over a period, for reconciliation. */
export function reportRoutes(reports: TransactionReportService): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/reports/transactions',
      operationId: 'getTransactionReport',
      tags: ['Reports'],
      auth: 'merchant',
      summary: 'Report the payments created in a period, with totals by status and currency',
      description:
        'At most 90 days, not after today (UTC). JSON carries the totals and then every row; csv is a download ' +
        '(Content-Disposition: attachment; filename="transactions_<from>_<to>.csv") of the rows alone. Both are streamed, oldest first.',
      query: transactionReportQuery,
      responses: {
        200: { description: 'The report.', schema: transactionReportSchema, otherContent: { 'text/csv': TRANSACTION_CSV_DESCRIPTION } },
        ...errorResponses,
      },
      async handle({ query, merchant }, ctx) {
        const report = await reports.open(merchant, query);
        ctx.set(report.headers);
        return { status: 200, body: report.body };
      },
    }),
  ];
}
