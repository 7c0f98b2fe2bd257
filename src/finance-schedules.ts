import type { AppConfig } from './config';
import type { ScheduleDefinition } from './temporal/schedules';
import { settlementWorkflow } from '../workflows/settlement-workflow';
import { feeInvoiceRunWorkflow } from '../workflows/fee-invoice-workflow';
import { dailyLedgerCheckWorkflow } from '../workflows/ledger-check-workflow';
import { dailyReconciliationWorkflow, type DailyReconciliationInput } from '../workflows/reconciliation-workflow';
import { dailyGatewayPayoutReconciliationWorkflow } from '../workflows/gateway-payout-reconciliation-workflow';
import { dailySubscriptionCheckWorkflow } from '../workflows/subscription-check-workflow';
import { monthlySubscriptionRevenueWorkflow } from '../workflows/subscription-revenue-workflow';
import { dataRetentionWorkflow, type DataRetentionInput } from '../workflows/data-retention-workflow';

/** The recurring jobs (finance, and data retention), kept in place as Temporal Schedules by every worker that starts. */
export function financeSchedules(config: Pick<AppConfig, 'ledger' | 'retention'>): ScheduleDefinition[] {
  return [
    {
      id: 'ledger-settlement',
      description: 'Moves captured funds from pending to available once their settlement day has come.',
      spec: { intervals: [{ every: config.ledger.settlementIntervalMs }] },
      workflow: settlementWorkflow,
    },
    {
      id: 'fee-invoices-monthly',
      description: "Issues every merchant's fee invoice for the month just ended and moves the invoiced fees to revenue.",
      // An hour after midnight, so captures committing around it are in the books first.
      spec: { calendars: [{ dayOfMonth: 1, hour: 1, minute: 0, comment: 'monthly, on the 1st at 01:00 UTC' }] },
      workflow: feeInvoiceRunWorkflow,
    },
    {
      id: 'ledger-daily-check',
      description: 'Proves the books close: debits equal credits, stored balances equal their postings; reports negative balances.',
      spec: { calendars: [{ hour: 0, minute: 30, comment: 'daily at 00:30 UTC' }] },
      workflow: dailyLedgerCheckWorkflow,
    },
    {
      id: 'sandbox-settlement-reconciliation',
      description:
        "Reconciles the sandbox gateway's settlement report for the previous UTC day against the ledger; discrepancies are logged and kept at GET /v1/admin/reconciliations.",
      // Two hours into the day, so the previous day's last captures and refunds are in both books.
      spec: { calendars: [{ hour: 2, minute: 0, comment: 'daily at 02:00 UTC' }] },
      workflow: dailyReconciliationWorkflow,
    },
    {
      id: 'sandbox-bank-payout-reconciliation',
      description:
        "Reconciles the sandbox bank's statement for the previous UTC day against the ledger's payouts paid and returned; discrepancies are logged and kept at GET /v1/admin/reconciliations.",
      // After the settlement run: a payout the bank paid just before midnight is posted in our books moments later.
      spec: { calendars: [{ hour: 2, minute: 15, comment: 'daily at 02:15 UTC' }] },
      workflow: dailyReconciliationWorkflow,
      args: [{ report: 'sandbox_bank_statement' } satisfies DailyReconciliationInput],
    },
    {
      id: 'stripe-payout-reconciliation',
      description:
        "Reconciles each Stripe account's payouts of the previous UTC day, as Stripe lists them, against its merchant's payouts; one run per account at GET /v1/reconciliations, with reconciliation.* events.",
      // After the bank's run; Stripe marks a payout paid on its arrival date, so the day's are settled by now.
      spec: { calendars: [{ hour: 2, minute: 30, comment: 'daily at 02:30 UTC' }] },
      workflow: dailyGatewayPayoutReconciliationWorkflow,
    },
    {
      id: 'subscriptions-daily-check',
      description:
        'Finds invoices past due and subscriptions whose workflow is missing, closed or late to bill; findings are logged and kept at GET /v1/reports/subscription_checks.',
      spec: { calendars: [{ hour: 3, minute: 0, comment: 'daily at 03:00 UTC' }] },
      workflow: dailySubscriptionCheckWorkflow,
    },
    {
      id: 'subscriptions-monthly-revenue',
      description:
        "Stores every merchant's subscription figures for the month just ended (MRR, new, churned, invoices paid, failed, recovered): GET /v1/reports/subscriptions.",
      // After the fee invoices, and long enough after midnight that the month's last renewals are recorded.
      spec: { calendars: [{ dayOfMonth: 1, hour: 1, minute: 30, comment: 'monthly, on the 1st at 01:30 UTC' }] },
      workflow: monthlySubscriptionRevenueWorkflow,
    },
    {
      id: 'data-retention',
      description:
        'Deletes Idempotency-Keys older than IDEMPOTENCY_KEY_RETENTION (7 days): a retry after that makes a new object; and events older than EVENT_RETENTION (30 days) with their webhook attempts.',
      spec: { calendars: [{ hour: 3, minute: 45, comment: 'daily at 03:45 UTC' }] },
      workflow: dataRetentionWorkflow,
      args: [
        {
          idempotencyKeyRetentionMs: config.retention.idempotencyKeyMs,
          eventRetentionMs: config.retention.eventMs,
        } satisfies DataRetentionInput,
      ],
    },
  ];
}
