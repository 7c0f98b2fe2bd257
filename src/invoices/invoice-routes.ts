import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { InvoiceService } from './invoice-service';
import { invoiceIdParams, invoiceListSchema, invoiceSchema, listInvoicesQuery } from './invoice-schemas';

/** The /v1/invoices endpoints: the invoices subscriptions issue to customers, read-only. */
export function invoiceRoutes(invoices: InvoiceService): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/invoices/:id',
      operationId: 'getInvoice',
      tags: ['Invoices'],
      auth: 'merchant',
      summary: 'Retrieve an invoice',
      params: invoiceIdParams,
      responses: {
        200: { description: 'The invoice.', schema: invoiceSchema },
        ...errorResponses,
        404: { description: 'Invoice not found.', schema: errorSchema },
      },
      async handle({ params, merchant }) {
        return { status: 200, body: await invoices.get(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/invoices',
      operationId: 'listInvoices',
      tags: ['Invoices'],
      auth: 'merchant',
      summary: 'List invoices, newest first',
      query: listInvoicesQuery,
      responses: { 200: { description: 'A page of invoices.', schema: invoiceListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await invoices.list(merchant, {
          subscriptionId: query.subscription,
          customerId: query.customer,
          status: query.status,
          limit: query.limit,
          startingAfter: query.starting_after,
        });
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
  ];
}
