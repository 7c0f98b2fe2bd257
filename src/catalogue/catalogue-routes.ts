import { z } from 'zod';
import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { CatalogueService } from './catalogue-service';

const currencySchema = z
  .object({
    object: z.literal('currency'),
    code: z.string().describe('ISO 4217 alphabetic code, e.g. EUR.'),
    numeric_code: z.string().describe('ISO 4217 numeric code, three digits, e.g. 978.'),
    name: z.string(),
    exponent: z.number().describe('Digits after the decimal point: 2 for EUR, 0 for JPY, 3 for KWD. Amounts take no more.'),
    available: z
      .boolean()
      .describe(
        "Whether a payment in it would find one of the merchant's enabled gateway accounts (or, in test mode without any, the sandbox).",
      ),
  })
  .describe('A currency we accept.');

const paymentMethodSchema = z.object({
  object: z.literal('payment_method_type'),
  type: z.enum(['card']).describe('Cards today; other types will be listed here as gateways gain them.'),
  brand: z.string().describe('visa, mastercard or amex.'),
  gateways: z
    .array(z.object({ gateway: z.string(), gateway_account: z.string().nullable() }))
    .describe("Where such a payment can go, in the merchant's priority order (gateway_account null: the built-in sandbox)."),
});

const codeParams = z.strictObject({ code: z.string().max(16).describe('ISO 4217 code, either case.') });
const notFound = { 404: { description: 'Not a currency we accept.', schema: errorSchema } };

/** GET /v1/currencies and the payment methods per currency: what a merchant's checkout can offer. */
export function catalogueRoutes(catalogue: CatalogueService): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/currencies',
      operationId: 'listCurrencies',
      tags: ['Catalogue'],
      auth: 'merchant',
      summary: 'List the currencies we accept',
      description: 'Every currency a payment may be made in, with its ISO codes and decimals, and whether this merchant can take it now.',
      responses: {
        200: { description: 'All of them, by code.', schema: z.object({ object: z.literal('list'), data: z.array(currencySchema) }) },
        ...errorResponses,
      },
      async handle({ merchant }) {
        return { status: 200, body: { object: 'list', data: await catalogue.currencies(merchant) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/currencies/:code',
      operationId: 'getCurrency',
      tags: ['Catalogue'],
      auth: 'merchant',
      summary: 'Retrieve a currency',
      params: codeParams,
      responses: { 200: { description: 'The currency.', schema: currencySchema }, ...errorResponses, ...notFound },
      async handle({ params, merchant }) {
        return { status: 200, body: await catalogue.currency(merchant, params.code) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/currencies/:code/payment_methods',
      operationId: 'listCurrencyPaymentMethods',
      tags: ['Catalogue'],
      auth: 'merchant',
      summary: "The payment methods the merchant's gateways accept in a currency",
      description:
        'Empty when no enabled gateway account of the merchant takes the currency (a payment in it is then refused with 400 no_gateway_account).',
      params: codeParams,
      responses: {
        200: { description: 'The methods.', schema: z.object({ object: z.literal('list'), data: z.array(paymentMethodSchema) }) },
        ...errorResponses,
        ...notFound,
      },
      async handle({ params, merchant }) {
        return { status: 200, body: { object: 'list', data: await catalogue.paymentMethods(merchant, params.code) } };
      },
    }),
  ];
}
