import Koa from 'koa';
import Router from '@koa/router';
import bodyParser from 'koa-bodyparser';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Logger } from '../logger';
import type { ApiServices } from '../services';
import { merchantRoutes } from '../merchants/merchant-routes';
import { paymentRoutes } from '../payments/payment-routes';
import { refundRoutes } from '../refunds/refund-routes';
import { disputeRoutes } from '../disputes/dispute-routes';
import { testHelperRoutes } from '../disputes/test-helper-routes';
import { sandboxChallengeRoutes } from '../gateways/sandbox/sandbox-challenge-routes';
import { checkoutRoutes } from '../checkout/checkout-routes';
import { checkoutPageRoutes } from '../checkout/checkout-page-routes';
import { catalogueRoutes } from '../catalogue/catalogue-routes';
import { gatewayEventRoutes } from '../gateways/gateway-event-routes';
import { gatewayAccountRoutes } from '../gateway-accounts/gateway-account-routes';
import { routingRoutes } from '../routing/routing-routes';
import { webhookRoutes } from '../webhooks/webhook-routes';
import { reconciliationRoutes } from '../reconciliation/reconciliation-routes';
import { ledgerRoutes } from '../ledger/ledger-routes';
import { reportRoutes } from '../reports/report-routes';
import { reportRunRoutes } from '../report-runs/report-run-routes';
import { subscriptionReportRoutes } from '../subscription-reports/subscription-report-routes';
import { feeInvoiceRoutes } from '../billing/fee-invoice-routes';
import { customerRoutes } from '../customers/customer-routes';
import { planRoutes } from '../plans/plan-routes';
import { subscriptionRoutes } from '../subscriptions/subscription-routes';
import { invoiceRoutes } from '../invoices/invoice-routes';
import { cardTokenRoutes } from '../vault/card-token-routes';
import { bankAccountRoutes } from '../bank-accounts/bank-account-routes';
import { payoutRoutes } from '../payouts/payout-routes';
import { payoutScheduleRoutes } from '../payouts/payout-schedule-routes';
import { createDocsRouter } from './docs-router';
import { receiptRoutes } from '../receipts/receipt-routes';
import type { PayloadCodec } from '@temporalio/common';
import { createCodecRouter } from './codec-router';
import { createMetricsRouter } from '../metrics/metrics-router';
import { httpMetrics } from '../metrics/http-metrics';
import { apiKeyRoutes } from '../merchants/api-key-routes';
import { oauthClientRoutes } from '../oauth/oauth-client-routes';
import { oauthTokenRoutes } from '../oauth/oauth-token-routes';
import type { AuditWriter } from '../audit/audit-writer';
import { auditTrail } from '../audit/audit-middleware';
import { auditRoutes } from '../audit/audit-routes';
import { requestId } from './request-id';
import type { RateLimiter } from './rate-limiter';
import { accessLog } from './access-log';
import { errorMiddleware } from './error-middleware';
import { retryDependencyOutages } from './dependency-retry';
import { healthRoutes } from './health';
import { mountRoutes } from './mount-routes';
import { API_INFO, buildOpenApiDocument } from './openapi';
import type { ApiRoute } from './route';

/** The services the routes call (built by createApiServices), and the settings of the app around them. */
export type AppDeps = Omit<ApiServices, 'audit' | 'rateLimiter'> & {
  orm: MikroORM;
  temporal: Client;
  adminApiKey?: string;
  /** Where mutating requests are recorded; nothing is recorded without one. */
  audit?: AuditWriter;
  /** Per-key request limits; none without one. */
  rateLimiter?: RateLimiter;
  /** The Temporal payload codec, served to the Temporal UI at /codec/decode and /codec/encode for these origins. */
  temporalCodec?: { codec: PayloadCodec; uiOrigins: string[] };
  /** Besides the admin key, this token may read GET /metrics (METRICS_TOKEN). */
  metricsToken?: string;
  logger: Logger;
  bodyLimit?: string;
  /** How long a request safe to repeat is re-run while PostgreSQL or Temporal is away (API_DEPENDENCY_RETRY_MS). */
  dependencyRetryMs?: number;
};

const DEFAULT_DEPENDENCY_RETRY_MS = 15_000;

/** Every route the API serves, in one list: the router and the OpenAPI document both read it. */
export function apiRoutes(deps: AppDeps): ApiRoute[] {
  return [
    ...healthRoutes(deps.orm, deps.temporal),
    ...merchantRoutes(deps.merchants),
    ...apiKeyRoutes(deps.apiKeys),
    ...oauthClientRoutes(deps.oauthClients),
    ...oauthTokenRoutes(deps.oauthTokens),
    ...auditRoutes(deps.auditEvents),
    ...paymentRoutes(deps.payments),
    ...refundRoutes(deps.refunds),
    ...disputeRoutes(deps.disputes),
    ...gatewayAccountRoutes(deps.gatewayAccounts),
    ...routingRoutes(deps.routing),
    ...gatewayEventRoutes(deps.gatewayEvents, deps.stripeEvents, deps.adyenEvents),
    ...webhookRoutes(deps.webhooks),
    ...ledgerRoutes(deps.balances, deps.ledgerChecks),
    ...reportRoutes(deps.transactionReports),
    ...reportRunRoutes(deps.reportRuns),
    ...subscriptionReportRoutes({ revenue: deps.subscriptionRevenue, checks: deps.subscriptionChecks }),
    ...feeInvoiceRoutes(deps.feeInvoices),
    ...customerRoutes(deps.customers),
    ...planRoutes(deps.plans),
    ...subscriptionRoutes(deps.subscriptions),
    ...invoiceRoutes(deps.invoices),
    ...cardTokenRoutes(deps.vault),
    ...bankAccountRoutes(deps.bankAccounts),
    ...payoutRoutes(deps.payouts),
    ...payoutScheduleRoutes(deps.payoutSchedules),
    ...reconciliationRoutes(deps.reconciliations),
    ...testHelperRoutes({ payments: deps.payments, network: deps.network, gatewayEvents: deps.gatewayEvents, disputes: deps.disputes }),
    ...sandboxChallengeRoutes(deps.sandboxChallenges),
    ...checkoutRoutes(deps.checkout),
    ...checkoutPageRoutes(deps.checkoutPages),
    ...catalogueRoutes(deps.catalogue),
    ...receiptRoutes(deps.receipts),
  ];
}

/** Builds the Koa app; it listens nowhere (entry points and tests decide). */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.proxy = true;
  const routes = apiRoutes(deps);
  const router = new Router();
  mountRoutes(router, routes, {
    merchants: deps.merchants,
    oauthTokens: deps.oauthTokens,
    orm: deps.orm,
    adminApiKey: deps.adminApiKey,
    rateLimiter: deps.rateLimiter,
  });
  const docs = createDocsRouter(buildOpenApiDocument(routes, API_INFO));

  app.use(requestId());
  app.use(accessLog(deps.logger));
  app.use(auditTrail(deps.audit));
  app.use(httpMetrics());
  app.use(errorMiddleware(deps.logger));
  // Before the JSON body parser: the codec reads its own, larger bodies.
  if (deps.temporalCodec)
    app.use(
      createCodecRouter({ ...deps.temporalCodec, allowedOrigins: deps.temporalCodec.uiOrigins, adminApiKey: deps.adminApiKey }).routes(),
    );
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: deps.bodyLimit ?? '64kb', strict: true }));
  // Everything after the body parser runs again when PostgreSQL or Temporal blinks, for requests safe to repeat.
  app.use(
    retryDependencyOutages({ deadlineMs: deps.dependencyRetryMs ?? DEFAULT_DEPENDENCY_RETRY_MS, logger: deps.logger }, [
      docs.routes(),
      createMetricsRouter({ adminApiKey: deps.adminApiKey, metricsToken: deps.metricsToken }).routes(),
      router.routes(),
      router.allowedMethods({ throw: false }),
    ]),
  );
  return app;
}
