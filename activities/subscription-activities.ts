import type { Orm } from '../src/db/orm';
import { CustomerRepository } from '../src/customers/customer-repository';
import { inTransaction } from '../src/db/sql';
import { recordEvent } from '../src/events/event-recorder';
import { InvoiceRepository } from '../src/invoices/invoice-repository';
import { SubscriptionRepository } from '../src/subscriptions/subscription-repository';
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

export function createSubscriptionActivities({ orm }: SubscriptionActivityDeps) {
  return {
    /**
     * Writes the subscription, the invoice being billed and their events in one transaction. Every
     * write is versioned and every event keyed by object and version, so a retry changes nothing.
     */
    async recordSubscriptionBilling({
      subscription,
      invoice,
      subscriptionEvent,
      invoiceEvents,
    }: RecordSubscriptionBillingInput): Promise<void> {
      await inTransaction(orm, async (sql) => {
        await new SubscriptionRepository(sql).save(subscription);
        if (invoice) await new InvoiceRepository(sql).save(invoice);
        for (const type of invoiceEvents) {
          if (!invoice) continue;
          await recordEvent(sql, {
            merchantId: invoice.merchantId,
            type,
            idempotencyKey: `invoice:${invoice.invoiceId}:v${invoice.version}:${type}`,
            objectType: 'invoice',
            objectId: invoice.invoiceId,
            object: { ...renderInvoiceState(invoice) },
          });
        }
        if (subscriptionEvent) {
          await recordEvent(sql, {
            merchantId: subscription.merchantId,
            type: subscriptionEvent,
            idempotencyKey: `subscription:${subscription.subscriptionId}:v${subscription.version}:${subscriptionEvent}`,
            objectType: 'subscription',
            objectId: subscription.subscriptionId,
            object: renderSubscriptionState(subscription),
          });
        }
      });
    },

    /** The customer's default payment source at the time of a charge attempt: a token, never card data. */
    async getCustomerSource({ customerId }: { customerId: string }): Promise<{ source: string }> {
      const source = await inTransaction(orm, (sql) => new CustomerRepository(sql).findDefaultSource(customerId));
      if (source === null) throw operationFailure('CustomerNotFound', `Customer ${customerId} not found`);
      return { source };
    },
  };
}
