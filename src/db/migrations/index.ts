/**
 * Every migration, oldest first, by name (its file's name too), each loaded only on demand: a starting API or
 * worker sees from the names that its schema is current without loading MikroORM's migration toolkit (umzug and
 * the CLI and JSON-schema libraries it brings: 32 MB of resident memory kept for the life of the process).
 * test/unit/migration-list.test.ts checks that this list and the folder agree.
 */
const MIGRATIONS: Record<string, () => Promise<Record<string, unknown>>> = {
  Migration20261121000000Initial: () => import('./Migration20261121000000Initial'),
  Migration20261121010000RefundsDisputes: () => import('./Migration20261121010000RefundsDisputes'),
  Migration20261121020000Webhooks: () => import('./Migration20261121020000Webhooks'),
  Migration20261121030000LedgerBalances: () => import('./Migration20261121030000LedgerBalances'),
  Migration20261121040000FeeInvoices: () => import('./Migration20261121040000FeeInvoices'),
  Migration20261121060000Reconciliations: () => import('./Migration20261121060000Reconciliations'),
  Migration20261121070000LedgerChecks: () => import('./Migration20261121070000LedgerChecks'),
  Migration20261121080000Subscriptions: () => import('./Migration20261121080000Subscriptions'),
  Migration20261121090000CustomersPlans: () => import('./Migration20261121090000CustomersPlans'),
  Migration20261121100000SubscriptionReports: () => import('./Migration20261121100000SubscriptionReports'),
  Migration20261121110000CardVault: () => import('./Migration20261121110000CardVault'),
  Migration20261121120000AuditLog: () => import('./Migration20261121120000AuditLog'),
  Migration20261121130000ManualReview: () => import('./Migration20261121130000ManualReview'),
  Migration20261121140000SandboxFaults: () => import('./Migration20261121140000SandboxFaults'),
  Migration20261206000000SealedWebhookSecrets: () => import('./Migration20261206000000SealedWebhookSecrets'),
  Migration20261206010000GatewayAccounts: () => import('./Migration20261206010000GatewayAccounts'),
  Migration20261206020000PaymentAttempts: () => import('./Migration20261206020000PaymentAttempts'),
  Migration20261206030000Routing: () => import('./Migration20261206030000Routing'),
  Migration20261206050000AdyenNotifications: () => import('./Migration20261206050000AdyenNotifications'),
  Migration20261206070000Receipts: () => import('./Migration20261206070000Receipts'),
  Migration20261206080000SandboxChallenges: () => import('./Migration20261206080000SandboxChallenges'),
  Migration20261206090000CheckoutSessions: () => import('./Migration20261206090000CheckoutSessions'),
  Migration20261206100000OAuth: () => import('./Migration20261206100000OAuth'),
  Migration20261206110000BankAccounts: () => import('./Migration20261206110000BankAccounts'),
  Migration20261206120000Payouts: () => import('./Migration20261206120000Payouts'),
  Migration20261206130000PayoutSchedules: () => import('./Migration20261206130000PayoutSchedules'),
  Migration20261206140000PayoutReconciliation: () => import('./Migration20261206140000PayoutReconciliation'),
  Migration20261206150000PayoutValueDates: () => import('./Migration20261206150000PayoutValueDates'),
  Migration20261206160000StripePayouts: () => import('./Migration20261206160000StripePayouts'),
  Migration20261207010000IdempotencyKeyRetention: () => import('./Migration20261207010000IdempotencyKeyRetention'),
  Migration20261207030000EventRetention: () => import('./Migration20261207030000EventRetention'),
  Migration20261207040000LedgerStatementTriggers: () => import('./Migration20261207040000LedgerStatementTriggers'),
  Migration20261207050000PayoutScheduleGatewayAccount: () => import('./Migration20261207050000PayoutScheduleGatewayAccount'),
  Migration20261207060000ReconciliationGatewayAccount: () => import('./Migration20261207060000ReconciliationGatewayAccount'),
  Migration20261207070000ReportRuns: () => import('./Migration20261207070000ReportRuns'),
};

export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS);

/** The migration classes, in order, for MikroORM's migrator. */
export async function loadMigrations(): Promise<{ name: string; class: new (...args: never[]) => object }[]> {
  return Promise.all(
    MIGRATION_NAMES.map(async (name) => ({ name, class: (await MIGRATIONS[name]())[name] as new (...args: never[]) => object })),
  );
}
