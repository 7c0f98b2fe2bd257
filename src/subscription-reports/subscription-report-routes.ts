import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses } from '../api/common-schemas';
import type { SubscriptionRevenueService } from './revenue-service';
import type { SubscriptionCheckService } from './subscription-check-service';
import {
  listSubscriptionChecksQuery,
  subscriptionCheckListSchema,
  subscriptionReportQuery,
  subscriptionReportSchema,
} from './subscription-report-schemas';

/** GET /v1/reports/subscriptions (a merchant's monthly figures) and /v1/reports/subscription_checks (the daily checks, admin). */
export function subscriptionReportRoutes({
  revenue,
  checks,
}: {
  revenue: SubscriptionRevenueService;
  checks: SubscriptionCheckService;
}): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/reports/subscriptions',
      operationId: 'getSubscriptionReport',
      tags: ['Reports'],
      auth: 'merchant',
      summary: "Report a month's subscription figures: MRR, new and churned subscriptions, invoices paid, failed and recovered",
      description:
        'Per currency. An ended month answers what the monthly run stored on the 1st (01:30 UTC); the current month, or a month ' +
        'never stored, is computed for the request and not stored. MRR normalises each plan to a month (day × 365/12, week × 52/12, ' +
        'year / 12, divided by the interval count), rounded half to even per subscription.',
      query: subscriptionReportQuery,
      responses: { 200: { description: 'The report.', schema: subscriptionReportSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        return { status: 200, body: await revenue.report(merchant, query.month) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/reports/subscription_checks',
      operationId: 'listSubscriptionChecks',
      tags: ['Reports'],
      auth: 'admin',
      summary: 'List the daily subscription checks with their findings, newest first (admin key)',
      description:
        'The subscriptions-daily-check schedule (03:00 UTC): open invoices whose payment attempt is over an hour late, that have none ' +
        'scheduled, or that are open past the dunning horizon; and subscriptions not canceled whose workflow is missing, closed, or over an hour late to bill.',
      query: listSubscriptionChecksQuery,
      responses: { 200: { description: 'Recent checks.', schema: subscriptionCheckListSchema }, ...errorResponses },
      async handle({ query }) {
        return { status: 200, body: { object: 'list', data: await checks.listRecent(query.limit) } };
      },
    }),
  ];
}
