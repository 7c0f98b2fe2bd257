import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { RefundService } from './refund-service';
import { createRefundBody, listRefundsQuery, refundIdParams, refundListSchema, refundSchema } from './refund-schemas';

/** The /v1/refunds endpoints (the API contract's POST /refunds, plus retrieval and listing). */
export function refundRoutes(refunds: RefundService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/refunds',
      operationId: 'createRefund',
      tags: ['Refunds'],
      auth: 'merchant',
      idempotent: 'create',
      summary: 'Refund a captured payment, wholly or partly',
      description:
        'Runs the refund as workflow refund-<id>. Partial refunds may add up to the captured amount, never more, also when sent concurrently. The processing fee is not returned. Answers with status succeeded or failed, or pending if the gateway is slow.',
      body: createRefundBody,
      responses: {
        201: { description: 'The refund.', schema: refundSchema },
        ...errorResponses,
        404: { description: 'Payment not found.', schema: errorSchema },
        422: { description: 'The Idempotency-Key was used before with different parameters.', schema: errorSchema },
        503: { description: 'The payment engine is unreachable; retry with the same Idempotency-Key.', schema: errorSchema },
      },
      async handle({ body, merchant, idempotencyKey, requestPath }) {
        return {
          status: 201,
          body: await refunds.create(
            merchant,
            body,
            idempotencyKey ? { key: idempotencyKey, method: 'POST', path: requestPath } : undefined,
          ),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/refunds/:id',
      operationId: 'getRefund',
      tags: ['Refunds'],
      auth: 'merchant',
      summary: 'Retrieve a refund',
      params: refundIdParams,
      responses: {
        200: { description: 'The refund.', schema: refundSchema },
        ...errorResponses,
        404: { description: 'Refund not found.', schema: errorSchema },
      },
      async handle({ params, merchant }) {
        return { status: 200, body: await refunds.get(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/refunds',
      operationId: 'listRefunds',
      tags: ['Refunds'],
      auth: 'merchant',
      summary: 'List refunds, newest first',
      query: listRefundsQuery,
      responses: { 200: { description: 'A page of refunds.', schema: refundListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await refunds.list(merchant, { paymentId: query.payment_id, limit: query.limit, startingAfter: query.starting_after });
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
  ];
}
