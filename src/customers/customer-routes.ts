import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { CustomerService } from './customer-service';
import {
  createCustomerBody,
  customerIdParams,
  customerListSchema,
  customerSchema,
  listCustomersQuery,
  setDefaultSourceBody,
} from './customer-schemas';

const notFound = { 404: { description: 'Customer not found.', schema: errorSchema } };

/** The /v1/customers endpoints: who pays subscriptions, and with which source. */
export function customerRoutes(customers: CustomerService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/customers',
      operationId: 'createCustomer',
      tags: ['Customers'],
      auth: 'merchant',
      idempotent: 'create',
      summary: 'Create a customer',
      description:
        "The source token becomes the customer's default source; an unknown token is refused with 400 invalid_source, as for payments. The same Idempotency-Key with the same body answers with the same customer.",
      body: createCustomerBody,
      responses: {
        201: { description: 'The customer.', schema: customerSchema },
        ...errorResponses,
        422: { description: 'The Idempotency-Key was used before with different parameters.', schema: errorSchema },
      },
      async handle({ body, merchant, idempotencyKey, requestPath }) {
        return {
          status: 201,
          body: await customers.create(
            merchant,
            body,
            idempotencyKey ? { key: idempotencyKey, method: 'POST', path: requestPath } : undefined,
          ),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customers/:id',
      operationId: 'getCustomer',
      tags: ['Customers'],
      auth: 'merchant',
      summary: 'Retrieve a customer',
      params: customerIdParams,
      responses: { 200: { description: 'The customer.', schema: customerSchema }, ...errorResponses, ...notFound },
      async handle({ params, merchant }) {
        return { status: 200, body: await customers.get(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customers',
      operationId: 'listCustomers',
      tags: ['Customers'],
      auth: 'merchant',
      summary: 'List customers, newest first',
      query: listCustomersQuery,
      responses: { 200: { description: 'A page of customers.', schema: customerListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await customers.list(merchant, { email: query.email, limit: query.limit, startingAfter: query.starting_after });
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/customers/:id/sources',
      operationId: 'setCustomerDefaultSource',
      tags: ['Customers'],
      auth: 'merchant',
      summary: "Change the customer's default source",
      description:
        'Subscriptions charge the new source from now on; a past-due subscription of the customer retries its open invoice at once.',
      params: customerIdParams,
      body: setDefaultSourceBody,
      responses: {
        200: { description: 'The customer, with its new default source.', schema: customerSchema },
        ...errorResponses,
        ...notFound,
      },
      async handle({ params, body, merchant }) {
        return { status: 200, body: await customers.setDefaultSource(merchant, params.id, body.source) };
      },
    }),
  ];
}
