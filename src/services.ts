import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { createActivities, type Activities } from '../activities';
import type { AppConfig } from './config';
import { GatewayRegistry } from './gateways/payment-gateway';
import { SandboxGateway } from './gateways/sandbox/sandbox-gateway';
import { createLogger, type Logger } from './logger';
import { MerchantService } from './merchants/merchant-service';
import { PaymentService, type PaymentServiceDeps } from './payments/payment-service';
import { PaymentDecisionListener, type PaymentDecisionWaiter } from './payments/payment-decisions';
import { RefundService } from './refunds/refund-service';
import { DisputeService } from './disputes/dispute-service';
import { GatewayEventService } from './gateways/gateway-event-service';
import { SandboxNetwork } from './gateways/sandbox/sandbox-network';
import { randomBase62 } from './shared/ids';
import { WebhookService } from './webhooks/webhook-service';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher';
import { ReconciliationService } from './reconciliation/reconciliation-service';
import { BalanceService } from './ledger/balance-service';
import { LedgerCheckService } from './ledger/ledger-checks';
import { CustomerService } from './customers/customer-service';
import { PlanService } from './plans/plan-service';
import { SubscriptionService } from './subscriptions/subscription-service';
import { ApiKeyService } from './merchants/api-key-service';
import { KeyRevocationListener } from './merchants/key-revocations';
import { OAuthTokenService } from './oauth/oauth-token-service';
import { OAuthClientService } from './oauth/oauth-client-service';
import { OAuthRevocationListener } from './oauth/oauth-revocations';
import { AuditWriter } from './audit/audit-writer';
import { RateLimiter } from './api/rate-limiter';
import { CardTokenSources } from './vault/card-token-sources';
import { CardVault } from './vault/card-vault';
import { BankAccountService } from './bank-accounts/bank-account-service';
import { PayoutService } from './payouts/payout-service';
import { PayoutNetworkDirectory } from './payouts/payout-network-directory';
import { SandboxBank } from './payouts/sandbox-bank/sandbox-bank';
import { PayoutScheduleService } from './payouts/payout-schedule-service';
import { AuditService } from './audit/audit-service';
import { TransactionReportService } from './reports/transaction-report-service';
import { ReportRunService } from './report-runs/report-run-service';
import { SubscriptionRevenueService } from './subscription-reports/revenue-service';
import { SubscriptionCheckService } from './subscription-reports/subscription-check-service';
import { temporalDescriber } from './subscription-reports/workflow-describer';
import { FeeInvoiceService } from './billing/fee-invoice-service';
import { InvoiceService } from './invoices/invoice-service';
import { GatewayConnectors } from './gateways/gateway-connectors';
import { createSandboxConnector } from './gateways/sandbox/sandbox-connector';
import { createStripeConnector } from './gateways/stripe/stripe-connector';
import { GatewayAccountCredentials } from './gateway-accounts/gateway-account-credentials';
import { GatewayAdapters } from './gateway-accounts/gateway-account-adapters';
import { GatewayRouter } from './gateway-accounts/gateway-routing';
import { GatewayAccountService } from './gateway-accounts/gateway-account-service';
import { StripeEventReceiver } from './gateways/stripe/stripe-event-receiver';
import { AdyenEventReceiver } from './gateways/adyen/adyen-event-receiver';
import { sqlFor } from './db/sql';
import { AdyenNotificationRepository } from './gateways/adyen/adyen-notification-repository';
import { createAdyenConnector } from './gateways/adyen/adyen-connector';
import { RoutingService } from './routing/routing-service';
import { ReceiptService } from './receipts/receipt-service';
import { CheckoutService } from './checkout/checkout-service';
import { CatalogueService } from './catalogue/catalogue-service';
import { CheckoutPageService } from './checkout/checkout-page-service';
import { ReceiptDispatcher } from './receipts/receipt-dispatcher';
import { SandboxChallengeService } from './gateways/sandbox/sandbox-challenge-service';

/** The gateways this deployment can charge through; the sandbox is the test-mode default. */
export function createGateways(orm: MikroORM, sandbox: Partial<AppConfig['sandbox']> = {}, publicUrl?: string): GatewayRegistry {
  return new GatewayRegistry(
    [
      new SandboxGateway({
        orm,
        responseDelayMs: sandbox.responseDelayMs,
        disputeDelayMs: sandbox.disputeDelayMs,
        faults: sandbox.faults,
        cardTokens: new CardTokenSources(orm),
        publicUrl,
      }),
    ],
    'sandbox',
  );
}

/**
 * Merchants' gateway accounts: the connectors this deployment has (the sandbox, Stripe and Adyen), the sealing
 * of their credentials, the adapter each activity gets by account id, and the routing of new payments.
 */
export function createGatewayAccess(config: Pick<AppConfig, 'gateways' | 'cardVault'>, orm: MikroORM, builtIn: GatewayRegistry) {
  const cardTokens = new CardTokenSources(orm);
  const keys = config.cardVault;
  const connectors = new GatewayConnectors([
    createSandboxConnector(builtIn.get('sandbox')),
    createStripeConnector({
      apiBase: config.gateways.stripeApiBase,
      // Vault cards reach Stripe as card data, opened inside the authorize activity only.
      openCard: keys ? (merchantId, tokenId) => cardTokens.openCard(keys, merchantId, tokenId) : undefined,
    }),
    createAdyenConnector({
      apiBase: config.gateways.adyenApiBase,
      // Adyen is only ever sent vault cards, opened inside the authorize activity only.
      openCard: keys ? (merchantId, tokenId) => cardTokens.openCard(keys, merchantId, tokenId) : undefined,
      notifications: () => new AdyenNotificationRepository(sqlFor(orm.em.fork())),
    }),
  ]);
  const credentials = new GatewayAccountCredentials(keys);
  return {
    connectors,
    credentials,
    adapters: new GatewayAdapters({ orm, builtIn, connectors, credentials }),
    router: new GatewayRouter({ orm, builtIn, connectors, cardTokens }),
  };
}

/** The domain services and readers the API uses: the one place they are built, for production and tests alike. */
export function createApiServices(config: AppConfig, orm: MikroORM, temporal: Client, logger: Logger) {
  const gateways = createGateways(orm);
  const gatewayAccess = createGatewayAccess(config, orm, gateways);
  const gatewayAccounts = new GatewayAccountService({
    orm,
    connectors: gatewayAccess.connectors,
    credentials: gatewayAccess.credentials,
    logger,
  });
  const merchants = new MerchantService(orm);
  const apiKeys = new ApiKeyService({ orm, merchants });
  // Revocations made by other API processes reach this one's authentication cache at once.
  const keyRevocations = new KeyRevocationListener({
    url: config.database.url as string,
    logger,
    onRevoked: (keyId) => merchants.forgetKey(keyId),
    onReconnected: () => merchants.forgetAllKeys(),
  });
  const oauthTokens = new OAuthTokenService({ orm });
  const oauthClients = new OAuthClientService({ orm, onRevoked: (id) => oauthTokens.forget(id) });
  // Token revocations made by other API processes reach this one's token cache at once.
  const oauthRevocations = new OAuthRevocationListener({
    url: config.database.url as string,
    logger,
    onRevoked: (id) => oauthTokens.forget(id),
    onReconnected: () => oauthTokens.forgetAll(),
  });
  const audit = new AuditWriter({ orm, logger });
  const rateLimiter = config.api.rateLimit.perSecond > 0 ? new RateLimiter(config.api.rateLimit) : undefined;
  const decisions = new PaymentDecisionListener({ url: config.database.url as string, logger });
  const payments = createPaymentService(config, { orm, temporal, router: gatewayAccess.router, decisions, logger });
  const refunds = new RefundService({ orm, temporal, taskQueue: config.temporal.taskQueue, syncWaitMs: config.payments.syncWaitMs });
  const disputes = new DisputeService({
    orm,
    temporal,
    taskQueue: config.temporal.taskQueue,
    syncWaitMs: config.payments.syncWaitMs,
    feeMinor: config.disputes.feeMinor,
    evidenceWindowMs: config.disputes.evidenceWindowMs,
  });
  // Without a configured secret the sandbox signs with one of its own, known only to this process.
  const sandboxSecret = config.sandbox.eventSecret ?? `whsec_${randomBase62(32)}`;
  const gatewayEvents = new GatewayEventService({ secrets: { sandbox: sandboxSecret }, disputes });
  const network = new SandboxNetwork({ orm, secret: sandboxSecret, logger });
  const sandboxChallenges = new SandboxChallengeService({ orm, temporal, logger });
  // Each connector's inbound events: verified against the account's own secret, then fed to workflows and disputes.
  const receiverDeps = { orm, temporal, disputes, credentials: gatewayAccess.credentials, adapters: gatewayAccess.adapters, logger };
  const stripeEvents = new StripeEventReceiver(receiverDeps);
  const adyenEvents = new AdyenEventReceiver(receiverDeps);
  const webhooks = new WebhookService({
    orm,
    temporal,
    taskQueue: config.temporal.taskQueue,
    vaultKeys: config.cardVault,
    retryTimeScale: config.webhooks.retryTimeScale,
  });
  const dispatcher = new WebhookDispatcher({
    orm,
    temporal,
    taskQueue: config.temporal.taskQueue,
    databaseUrl: config.database.url as string,
    logger,
    retryTimeScale: config.webhooks.retryTimeScale,
  });
  const receipts = new ReceiptService({ orm, publicUrl: config.publicUrl });
  // Receipt emails of payment.succeeded and refund.succeeded events: one workflow per event.
  const receiptDispatcher = new ReceiptDispatcher({
    orm,
    temporal,
    taskQueue: config.temporal.taskQueue,
    databaseUrl: config.database.url as string,
    logger,
  });
  const balances = new BalanceService({ orm });
  const ledgerChecks = new LedgerCheckService({ orm });
  const reconciliations = new ReconciliationService({ orm });
  // A new card retries the customer's past-due subscriptions at once (the closure reads `subscriptions` when called).
  const customers = new CustomerService({
    orm,
    gateways,
    logger,
    onDefaultSourceChanged: (merchant, customerId) => subscriptions.retryPastDue(merchant, customerId),
  });
  const plans = new PlanService({ orm });
  const vault = new CardVault({ orm, keys: config.cardVault, logger });
  const bankAccounts = new BankAccountService({ orm, keys: config.cardVault, logger });
  const payouts = new PayoutService({
    orm,
    temporal,
    taskQueue: config.temporal.taskQueue,
    syncWaitMs: config.payments.syncWaitMs,
    timings: config.payouts,
  });
  // Each merchant's automatic payouts run as its own Temporal Schedule, on the API's task queue.
  const payoutSchedules = new PayoutScheduleService({ orm, client: temporal, taskQueue: config.temporal.taskQueue, logger });
  const checkout = new CheckoutService({
    orm,
    temporal,
    taskQueue: config.temporal.taskQueue,
    publicUrl: config.publicUrl,
    vaultKeys: config.cardVault,
    actionTimeoutMs: config.checkout.actionTimeoutMs,
  });
  const checkoutPages = new CheckoutPageService({
    orm,
    temporal,
    vault,
    checkout,
    syncWaitMs: config.payments.syncWaitMs,
    submissionsPerAddress: new RateLimiter({
      perSecond: config.checkout.attemptsPerIpPerHour / 3600,
      burst: config.checkout.attemptsPerIpPerHour,
    }),
  });
  const subscriptions: SubscriptionService = new SubscriptionService({
    orm,
    temporal,
    taskQueue: config.temporal.taskQueue,
    customers,
    plans,
    gateways,
    logger,
    syncWaitMs: config.payments.syncWaitMs,
    defaultFees: config.fees,
    settings: config.subscriptions,
  });
  const readers = {
    auditEvents: new AuditService({ orm }),
    transactionReports: new TransactionReportService({ orm, logger }),
    subscriptionRevenue: new SubscriptionRevenueService({ orm }),
    subscriptionChecks: new SubscriptionCheckService({ orm, describe: temporalDescriber(temporal) }),
    feeInvoices: new FeeInvoiceService({ orm, defaultFees: config.fees }),
    invoices: new InvoiceService({ orm }),
  };
  return {
    gateways,
    gatewayAccounts,
    routing: new RoutingService({ orm }),
    gatewayAccess,
    merchants,
    payments,
    refunds,
    disputes,
    gatewayEvents,
    stripeEvents,
    adyenEvents,
    network,
    sandboxChallenges,
    decisions,
    webhooks,
    dispatcher,
    receipts,
    receiptDispatcher,
    checkout,
    checkoutPages,
    catalogue: new CatalogueService({ orm }),
    balances,
    ledgerChecks,
    reconciliations,
    customers,
    plans,
    subscriptions,
    vault,
    bankAccounts,
    payouts,
    payoutSchedules,
    reportRuns: new ReportRunService({ orm, temporal, taskQueue: config.temporal.taskQueue }),
    apiKeys,
    keyRevocations,
    oauthTokens,
    oauthClients,
    oauthRevocations,
    audit,
    rateLimiter,
    ...readers,
  };
}

export type ApiServices = ReturnType<typeof createApiServices>;

/** The activities a worker registers, with their real dependencies; `temporal` lets the daily subscription check describe workflows. */
export function createWorkerActivities(config: AppConfig, orm: MikroORM, temporal?: Client): Activities {
  const gateways = createGateways(orm, config.sandbox, config.publicUrl);
  const gatewayAccess = createGatewayAccess(config, orm, gateways);
  return createActivities({
    orm,
    gateways,
    adapters: gatewayAccess.adapters,
    fraudPolicy: config.fraud,
    webhookTimeoutMs: config.webhooks.timeoutMs,
    vaultKeys: config.cardVault,
    settlementDelayDays: config.ledger.settlementDelayDays,
    defaultFees: config.fees,
    temporal,
    dunningRetryDays: config.subscriptions.dunningRetryDays,
    publicUrl: config.publicUrl,
    mail: config.mail,
    payoutNetworks: new PayoutNetworkDirectory({
      sandboxBank: new SandboxBank(orm, config.payouts.sandboxBank),
      gatewayPayouts: (gatewayAccountId) => gatewayAccess.adapters.payoutNetworkFor(gatewayAccountId),
    }),
    payoutTimings: config.payouts,
    // Checkout attempts are payments like the API's; the worker polls their records instead of listening for decisions.
    checkoutPayments: temporal
      ? createPaymentService(config, {
          orm,
          temporal,
          router: gatewayAccess.router,
          decisions: pollingDecisions,
          logger: createLogger('warn'),
        })
      : undefined,
  });
}

/** Waits by polling: a caller re-reads the record after each wake-up, so this only sets how often. */
const pollingDecisions: PaymentDecisionWaiter = {
  wait: (_paymentId, ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 100))),
};

/** The payment service, as the API and the worker's checkout attempts use it. */
export function createPaymentService(
  config: AppConfig,
  deps: Pick<PaymentServiceDeps, 'orm' | 'temporal' | 'router' | 'decisions' | 'logger'>,
): PaymentService {
  return new PaymentService({
    ...deps,
    taskQueue: config.temporal.taskQueue,
    syncWaitMs: config.payments.syncWaitMs,
    authorizationTtlMs: config.payments.authorizationTtlMs,
    reviewTimeoutMs: config.payments.reviewTimeoutMs,
    actionTimeoutMs: config.payments.actionTimeoutMs,
    confirmationTimeoutMs: config.payments.confirmationTimeoutMs,
    technicalCancelAfterMs: config.payments.technicalCancelAfterMs,
    defaultFees: config.fees,
    publicUrl: config.publicUrl,
  });
}
