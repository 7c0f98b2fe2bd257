import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { FeeInvoiceService } from './fee-invoice-service';
import { feeInvoiceIdParams, feeInvoiceListSchema, feeInvoiceSchema, listFeeInvoicesQuery } from './fee-invoice-schemas';

const notFound = { 404: { description: 'Fee invoice not found.', schema: errorSchema } };

/** The /v1/billing/invoices endpoints: the monthly fee invoices the platform issued to the merchant. */
export function feeInvoiceRoutes(invoices: FeeInvoiceService): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/billing/invoices',
      operationId: 'listFeeInvoices',
      tags: ['Billing'],
      auth: 'merchant',
      summary: 'List fee invoices, newest first',
      description: 'One invoice per month and currency with fees, issued on the 1st of the following month (UTC).',
      query: listFeeInvoicesQuery,
      responses: { 200: { description: 'A page of fee invoices.', schema: feeInvoiceListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await invoices.list(merchant, { period: query.period, limit: query.limit, startingAfter: query.starting_after });
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/billing/invoices/:id',
      operationId: 'getFeeInvoice',
      tags: ['Billing'],
      auth: 'merchant',
      summary: 'Retrieve a fee invoice',
      params: feeInvoiceIdParams,
      responses: { 200: { description: 'The fee invoice.', schema: feeInvoiceSchema }, ...errorResponses, ...notFound },
      async handle({ params, merchant }) {
        return { status: 200, body: await invoices.get(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/billing/invoices/:id/receipt',
      operationId: 'downloadFeeInvoiceReceipt',
      tags: ['Billing'],
      auth: 'merchant',
      summary: 'Download a fee invoice as a printable HTML receipt',
      description: 'Answers text/html as an attachment named <number>.html: a self-contained document, ready to print or save as PDF.',
      params: feeInvoiceIdParams,
      responses: {
        200: {
          description: 'The receipt.',
          otherContent: {
            'text/html':
              'A self-contained HTML document (no scripts, no external assets), Content-Disposition: attachment; filename="<number>.html".',
          },
        },
        ...errorResponses,
        ...notFound,
      },
      async handle({ params, merchant }, ctx) {
        const receipt = await invoices.receipt(merchant, params.id);
        ctx.attachment(receipt.fileName);
        ctx.type = 'text/html; charset=utf-8';
        // Opened in a browser from the API's origin, the document may run nothing and load nothing.
        ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
        ctx.set('X-Content-Type-Options', 'nosniff');
        return { status: 200, body: receipt.html };
      },
    }),
  ];
}
