import { Migration20261121000000Initial } from './Migration20261121000000Initial';
import { Migration20261121010000RefundsDisputes } from './Migration20261121010000RefundsDisputes';
import { Migration20261121020000Webhooks } from './Migration20261121020000Webhooks';
import { Migration20261121030000LedgerBalances } from './Migration20261121030000LedgerBalances';
import { Migration20261121040000FeeInvoices } from './Migration20261121040000FeeInvoices';
import { Migration20261121060000Reconciliations } from './Migration20261121060000Reconciliations';
import { Migration20261121070000LedgerChecks } from './Migration20261121070000LedgerChecks';
import { Migration20261121080000Subscriptions } from './Migration20261121080000Subscriptions';
import { Migration20261121090000CustomersPlans } from './Migration20261121090000CustomersPlans';
import { Migration20261121100000SubscriptionReports } from './Migration20261121100000SubscriptionReports';
import { Migration20261121120000AuditLog } from './Migration20261121120000AuditLog';
import { Migration20261121110000CardVault } from './Migration20261121110000CardVault';
import { Migration20261121130000ManualReview } from './Migration20261121130000ManualReview';
import { Migration20261121140000SandboxFaults } from './Migration20261121140000SandboxFaults';
import { Migration20261206000000SealedWebhookSecrets } from './Migration20261206000000SealedWebhookSecrets';
import { Migration20261206010000GatewayAccounts } from './Migration20261206010000GatewayAccounts';
import { Migration20261206020000PaymentAttempts } from './Migration20261206020000PaymentAttempts';
import { Migration20261206030000Routing } from './Migration20261206030000Routing';
import { Migration20261206050000AdyenNotifications } from './Migration20261206050000AdyenNotifications';
import { Migration20261206070000Receipts } from './Migration20261206070000Receipts';
import { Migration20261206080000SandboxChallenges } from './Migration20261206080000SandboxChallenges';
import { Migration20261206090000CheckoutSessions } from './Migration20261206090000CheckoutSessions';

/** Every migration, in order. Listed explicitly so no file globbing depends on how the code is run. */
export const migrations = [
  { name: 'Migration20261121000000Initial', class: Migration20261121000000Initial },
  { name: 'Migration20261121010000RefundsDisputes', class: Migration20261121010000RefundsDisputes },
  { name: 'Migration20261121020000Webhooks', class: Migration20261121020000Webhooks },
  { name: 'Migration20261121030000LedgerBalances', class: Migration20261121030000LedgerBalances },
  { name: 'Migration20261121040000FeeInvoices', class: Migration20261121040000FeeInvoices },
  { name: 'Migration20261121060000Reconciliations', class: Migration20261121060000Reconciliations },
  { name: 'Migration20261121070000LedgerChecks', class: Migration20261121070000LedgerChecks },
  { name: 'Migration20261121080000Subscriptions', class: Migration20261121080000Subscriptions },
  { name: 'Migration20261121090000CustomersPlans', class: Migration20261121090000CustomersPlans },
  { name: 'Migration20261121100000SubscriptionReports', class: Migration20261121100000SubscriptionReports },
  { name: 'Migration20261121110000CardVault', class: Migration20261121110000CardVault },
  { name: 'Migration20261121120000AuditLog', class: Migration20261121120000AuditLog },
  { name: 'Migration20261121130000ManualReview', class: Migration20261121130000ManualReview },
  { name: 'Migration20261121140000SandboxFaults', class: Migration20261121140000SandboxFaults },
  { name: 'Migration20261206000000SealedWebhookSecrets', class: Migration20261206000000SealedWebhookSecrets },
  { name: 'Migration20261206010000GatewayAccounts', class: Migration20261206010000GatewayAccounts },
  { name: 'Migration20261206020000PaymentAttempts', class: Migration20261206020000PaymentAttempts },
  { name: 'Migration20261206030000Routing', class: Migration20261206030000Routing },
  { name: 'Migration20261206050000AdyenNotifications', class: Migration20261206050000AdyenNotifications },
  { name: 'Migration20261206070000Receipts', class: Migration20261206070000Receipts },
  { name: 'Migration20261206080000SandboxChallenges', class: Migration20261206080000SandboxChallenges },
  { name: 'Migration20261206090000CheckoutSessions', class: Migration20261206090000CheckoutSessions },
];
