import { createBillingActivities, type BillingActivityDeps } from './billing-activities';
import { createCheckoutActivities, type CheckoutActivityDeps } from './checkout-activities';
import { createDisputeActivities, type DisputeActivityDeps } from './dispute-activities';
import { createFraudActivities, type FraudActivityDeps } from './fraud-activities';
import { createGatewayActivities, type GatewayActivityDeps } from './gateway-activities';
import { createLedgerActivities, type LedgerActivityDeps } from './ledger-activities';
import { createPaymentRecordActivities, type PaymentRecordActivityDeps } from './payment-record-activities';
import { createReconciliationActivities, type ReconciliationActivityDeps } from './reconciliation-activities';
import { createRefundActivities, type RefundActivityDeps } from './refund-activities';
import { createSubscriptionActivities, type SubscriptionActivityDeps } from './subscription-activities';
import { createSubscriptionReportActivities, type SubscriptionReportActivityDeps } from './subscription-report-activities';
import { createWebhookActivities, type WebhookActivityDeps } from './webhook-activities';
import { createReceiptEmailActivities, type ReceiptEmailActivityDeps } from './receipt-email-activities';
import { createPayoutActivities, type PayoutActivityDeps } from './payout-activities';
import { createAutomaticPayoutActivities, type AutomaticPayoutActivityDeps } from './automatic-payout-activities';
import { createRetentionActivities, type RetentionActivityDeps } from './retention-activities';
import { createReportRunActivities, type ReportRunActivityDeps } from './report-run-activities';

export type ActivityDeps = FraudActivityDeps &
  GatewayActivityDeps &
  PaymentRecordActivityDeps &
  RefundActivityDeps &
  DisputeActivityDeps &
  WebhookActivityDeps &
  LedgerActivityDeps &
  SubscriptionActivityDeps &
  SubscriptionReportActivityDeps &
  BillingActivityDeps &
  CheckoutActivityDeps &
  ReconciliationActivityDeps &
  ReceiptEmailActivityDeps &
  PayoutActivityDeps &
  AutomaticPayoutActivityDeps &
  RetentionActivityDeps &
  ReportRunActivityDeps;

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createFraudActivities(deps),
    ...createGatewayActivities(deps),
    ...createPaymentRecordActivities(deps),
    ...createRefundActivities(deps),
    ...createDisputeActivities(deps),
    ...createWebhookActivities(deps),
    ...createLedgerActivities(deps),
    ...createSubscriptionActivities(deps),
    ...createSubscriptionReportActivities(deps),
    ...createBillingActivities(deps),
    ...createCheckoutActivities(deps),
    ...createReconciliationActivities(deps),
    ...createReceiptEmailActivities(deps),
    ...createPayoutActivities(deps),
    ...createAutomaticPayoutActivities(deps),
    ...createRetentionActivities(deps),
    ...createReportRunActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
