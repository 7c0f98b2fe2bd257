import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { PayoutService } from './payout-service';
import { createPayoutBody, listPayoutsQuery, payoutIdParams, payoutListSchema, payoutSchema } from './payout-schemas';

/** The /v1/payouts endpoints: money out of the available balance to the merchant's bank accounts. */
export function payoutRoutes(payouts: PayoutService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/payouts',
      operationId: 'createPayout',
      tags: ['Payouts'],
      auth: 'merchant',
      idempotent: 'create',
      summary: 'Pay out available funds to a bank account',
      description:
        'Runs the payout as workflow payout-<id>. The amount and the payout fee come out of the available balance at once, checked under a lock so that concurrent payouts never take it below zero (400 balance_insufficient, nothing written). The payout stays pending (cancelable) until it is sent to the bank (PAYOUT_SUBMIT_DELAY_MS), is in_transit until its arrival_date, then paid or failed; a paid payout the bank returns later becomes failed with returned true, and the money is available again. With gateway_account, the payout is sent as a Stripe payout from that Stripe account (under the key <id>:transfer) to its own bank account, and its status is read back from Stripe.',
      body: createPayoutBody,
      responses: {
        201: { description: 'The payout, pending: its amount and fee are reserved.', schema: payoutSchema },
        202: {
          description:
            'Accepted, not yet decided (a worker or the engine is slow): the balance check has not run, and the payout may still be refused. Retry with the same Idempotency-Key, or watch for payout.created.',
          schema: payoutSchema,
        },
        ...errorResponses,
        422: { description: 'The Idempotency-Key was used before with different parameters.', schema: errorSchema },
        503: { description: 'The payment engine is unreachable; retry with the same Idempotency-Key.', schema: errorSchema },
      },
      async handle({ body, merchant, idempotencyKey, requestPath }) {
        const idempotency = idempotencyKey ? { key: idempotencyKey, method: 'POST', path: requestPath } : undefined;
        const { payout, decided } = await payouts.create(merchant, body, idempotency);
        return { status: decided ? 201 : 202, body: payout };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/payouts/:id',
      operationId: 'getPayout',
      tags: ['Payouts'],
      auth: 'merchant',
      summary: 'Retrieve a payout',
      params: payoutIdParams,
      responses: {
        200: { description: 'The payout.', schema: payoutSchema },
        ...errorResponses,
        404: { description: 'Payout not found.', schema: errorSchema },
      },
      async handle({ params, merchant }) {
        return { status: 200, body: await payouts.get(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/payouts',
      operationId: 'listPayouts',
      tags: ['Payouts'],
      auth: 'merchant',
      summary: 'List payouts, newest first',
      query: listPayoutsQuery,
      responses: { 200: { description: 'A page of payouts.', schema: payoutListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await payouts.list(merchant, {
          status: query.status,
          bankAccount: query.bank_account,
          gatewayAccount: query.gateway_account,
          limit: query.limit,
          startingAfter: query.starting_after,
        });
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/payouts/:id/cancel',
      operationId: 'cancelPayout',
      tags: ['Payouts'],
      auth: 'merchant',
      idempotent: 'update',
      summary: 'Cancel a pending payout',
      description:
        'Only while the payout is pending, before it is sent to the bank; its amount and fee are available again at once. Canceling a canceled payout answers it again.',
      params: payoutIdParams,
      responses: {
        200: { description: 'The canceled payout.', schema: payoutSchema },
        ...errorResponses,
        404: { description: 'Payout not found.', schema: errorSchema },
      },
      async handle({ params, merchant, updateId }) {
        return { status: 200, body: await payouts.cancel(merchant, params.id, updateId) };
      },
    }),
  ];
}
