import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { BankAccountService } from './bank-account-service';
import {
  bankAccountIdParams,
  bankAccountListSchema,
  bankAccountSchema,
  createBankAccountBody,
  listBankAccountsQuery,
  updateBankAccountBody,
} from './bank-account-schemas';

const notFound = { 404: { description: 'Bank account not found.', schema: errorSchema } };

/** The /v1/bank_accounts endpoints: where payouts go. */
export function bankAccountRoutes(accounts: BankAccountService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/bank_accounts',
      operationId: 'createBankAccount',
      tags: ['Bank accounts'],
      auth: 'merchant',
      idempotent: 'create',
      summary: 'Add a bank account',
      description:
        'An IBAN (its country, length and check digits are checked) or, in the US, an account number and an ABA routing number (checksum checked); ' +
        'the currency must be one the country is paid in. Every field is checked before anything is stored; the message lists each problem and `param` names the first. ' +
        'The number is stored encrypted and shown only as `last4`. The same account twice (same fingerprint) is `409 bank_account_exists` with `existing_id`. ' +
        "The merchant's first account of a currency becomes its default.",
      body: createBankAccountBody,
      responses: {
        201: { description: 'The bank account.', schema: bankAccountSchema },
        ...errorResponses,
        409: {
          description: 'The merchant already has this account (`existing_id`), or the Idempotency-Key is in use.',
          schema: errorSchema,
        },
        422: { description: 'The Idempotency-Key was used before with different parameters.', schema: errorSchema },
        503: { description: 'The vault has no keys configured.', schema: errorSchema },
      },
      async handle({ body, merchant, idempotencyKey, requestPath }) {
        const idempotency = idempotencyKey ? { key: idempotencyKey, method: 'POST', path: requestPath } : undefined;
        return { status: 201, body: await accounts.create(merchant, body, idempotency) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/bank_accounts/:id',
      operationId: 'getBankAccount',
      tags: ['Bank accounts'],
      auth: 'merchant',
      summary: 'Retrieve a bank account',
      description: 'Deleted accounts are still answered, with `status: "deleted"`.',
      params: bankAccountIdParams,
      responses: { 200: { description: 'The bank account.', schema: bankAccountSchema }, ...errorResponses, ...notFound },
      async handle({ params, merchant }) {
        return { status: 200, body: await accounts.get(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/bank_accounts',
      operationId: 'listBankAccounts',
      tags: ['Bank accounts'],
      auth: 'merchant',
      summary: 'List bank accounts in use, newest first',
      query: listBankAccountsQuery,
      responses: { 200: { description: 'A page of bank accounts.', schema: bankAccountListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await accounts.list(merchant, { currency: query.currency, limit: query.limit, startingAfter: query.starting_after });
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/bank_accounts/:id',
      operationId: 'updateBankAccount',
      tags: ['Bank accounts'],
      auth: 'merchant',
      summary: 'Update a bank account, or make it the default for its currency',
      description:
        '`default_for_currency: true` makes it the one default of its currency; the previous default stops being one in the same transaction. `metadata` replaces the whole metadata.',
      params: bankAccountIdParams,
      body: updateBankAccountBody,
      responses: {
        200: { description: 'The bank account.', schema: bankAccountSchema },
        ...errorResponses,
        ...notFound,
        409: { description: 'The account is deleted.', schema: errorSchema },
      },
      async handle({ params, body, merchant }) {
        return { status: 200, body: await accounts.update(merchant, params.id, body) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/bank_accounts/:id',
      operationId: 'deleteBankAccount',
      tags: ['Bank accounts'],
      auth: 'merchant',
      summary: 'Delete a bank account',
      description:
        'It takes no more payouts and is kept, with `status: "deleted"`, for the history of the payouts it received. ' +
        "If it was its currency's default, no other account is promoted: that currency has no default until one is set.",
      params: bankAccountIdParams,
      responses: { 200: { description: 'The deleted account.', schema: bankAccountSchema }, ...errorResponses, ...notFound },
      async handle({ params, merchant }) {
        return { status: 200, body: await accounts.delete(merchant, params.id) };
      },
    }),
  ];
}
