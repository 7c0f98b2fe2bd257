import type { Orm } from '../src/db/orm';
import { inTransaction, type Sql } from '../src/db/sql';
import { recordEvent } from '../src/events/event-recorder';
import type { InvoiceState, SubscriptionState } from '../src/subscriptions/subscription-state';
import { renderInvoiceState, renderSubscriptionState } from '../src/subscriptions/subscription-view';
import { operationFailure } from '../src/shared/failure-types';

export interface SubscriptionActivityDeps {
  orm: Orm;
}

export interface RecordSubscriptionBillingInput {
  subscription: SubscriptionState;
  invoice?: InvoiceState;
  subscriptionEvent?: 'customer.subscription.created' | 'customer.subscription.updated' | 'customer.subscription.deleted';
  invoiceEvents: ('invoice.created' | 'invoice.paid' | 'invoice.payment_failed')[];
}

async function saveSubscription(sql: Sql, s: SubscriptionState): Promise<void> {
  // `version` only grows: a retried older write never overwrites a newer state.
  await sql.query(
    `insert into subscriptions (id, merchant_id, customer_id, plan_id, status, billing_anchor, current_period_start, current_period_end,
       trial_start, trial_end, cancel_at_period_end, canceled_at, ended_at, paused_at, latest_invoice_id, next_billing_at,
       credit_balance_minor, metadata, version, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())
     on conflict (id) do update set plan_id = excluded.plan_id, status = excluded.status, billing_anchor = excluded.billing_anchor,
       current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end,
       trial_start = excluded.trial_start, trial_end = excluded.trial_end, cancel_at_period_end = excluded.cancel_at_period_end,
       canceled_at = excluded.canceled_at, ended_at = excluded.ended_at, paused_at = excluded.paused_at,
       latest_invoice_id = excluded.latest_invoice_id, next_billing_at = excluded.next_billing_at,
       credit_balance_minor = excluded.credit_balance_minor, version = excluded.version, updated_at = now()
     where subscriptions.version < excluded.version`,
    [s.subscriptionId, s.merchantId, s.customerId, s.plan.planId, s.status, s.billingAnchor, s.currentPeriodStart, s.currentPeriodEnd,
      s.trialStart, s.trialEnd, s.cancelAtPeriodEnd, s.canceledAt, s.endedAt, s.pausedAt, s.latestInvoiceId, s.nextBillingAt,
      s.creditBalanceMinor, JSON.stringify(s.metadata), s.version, s.createdAt]);
}

async function saveInvoice(sql: Sql, i: InvoiceState): Promise<void> {
  await sql.query(
    `insert into invoices (id, merchant_id, subscription_id, customer_id, cycle, status, billing_reason, currency, lines, subtotal_minor,
       credit_applied_minor, amount_due_minor, amount_paid_minor, attempt_count, next_payment_attempt, last_payment_id, last_failure_code,
       period_start, period_end, paid_at, marked_uncollectible_at, voided_at, version, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())
     on conflict (id) do update set status = excluded.status, amount_paid_minor = excluded.amount_paid_minor,
       attempt_count = excluded.attempt_count, next_payment_attempt = excluded.next_payment_attempt,
       last_payment_id = excluded.last_payment_id, last_failure_code = excluded.last_failure_code, paid_at = excluded.paid_at,
       marked_uncollectible_at = excluded.marked_uncollectible_at, voided_at = excluded.voided_at, version = excluded.version, updated_at = now()
     where invoices.version < excluded.version`,
    [i.invoiceId, i.merchantId, i.subscriptionId, i.customerId, i.cycle, i.status, i.billingReason, i.currency, JSON.stringify(i.lines),
      i.subtotalMinor, i.creditAppliedMinor, i.amountDueMinor, i.amountPaidMinor, i.attemptCount, i.nextPaymentAttempt, i.lastPaymentId,
      i.lastFailureCode, i.periodStart, i.periodEnd, i.paidAt, i.markedUncollectibleAt, i.voidedAt, i.version, i.createdAt]);
}

export function createSubscriptionActivities({ orm }: SubscriptionActivityDeps) {
  return {
    /**
     * Writes the subscription, the invoice being billed and their events in one transaction. Every
     * write is versioned and every event keyed by object and version, so a retry changes nothing.
     */
    async recordSubscriptionBilling({ subscription, invoice, subscriptionEvent, invoiceEvents }: RecordSubscriptionBillingInput): Promise<void> {
      await inTransaction(orm, async (sql) => {
        await saveSubscription(sql, subscription);
        if (invoice) await saveInvoice(sql, invoice);
        for (const type of invoiceEvents) {
          if (!invoice) continue;
          await recordEvent(sql, {
            merchantId: invoice.merchantId, type, idempotencyKey: `invoice:${invoice.invoiceId}:v${invoice.version}:${type}`,
            objectType: 'invoice', objectId: invoice.invoiceId, object: { ...renderInvoiceState(invoice) },
          });
        }
        if (subscriptionEvent) {
          await recordEvent(sql, {
            merchantId: subscription.merchantId, type: subscriptionEvent,
            idempotencyKey: `subscription:${subscription.subscriptionId}:v${subscription.version}:${subscriptionEvent}`,
            objectType: 'subscription', objectId: subscription.subscriptionId, object: renderSubscriptionState(subscription),
          });
        }
      });
    },

    /** The customer's default payment source at the time of a charge attempt: a token, never card data. */
    async getCustomerSource({ customerId }: { customerId: string }): Promise<{ source: string }> {
      const [row] = await inTransaction(orm, (sql) => sql.query<{ default_source: string }>(`select default_source from customers where id = ?`, [customerId]));
      if (!row) throw operationFailure('CustomerNotFound', `Customer ${customerId} not found`);
      return { source: row.default_source };
    },
  };
}
