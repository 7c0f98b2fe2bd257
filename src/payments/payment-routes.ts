import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { PaymentService } from './payment-service';
import {
  cancelPaymentBody,
  capturePaymentBody,
  createPaymentBody,
  listPaymentsQuery,
  paymentIdParams,
  paymentListSchema,
  paymentSchema,
  reviewPaymentBody,
} from './payment-schemas';

/** The /v1/payments endpoints (the API contract's POST and GET, plus capture, cancel, list and ops' review). */
export function paymentRoutes(payments: PaymentService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/payments',
      operationId: 'createPayment',
      tags: ['Payments'],
      auth: 'merchant',
      idempotent: 'create',
      summary: 'Create a payment',
      description:
        'Starts the payment workflow and answers once it has decided: 201 with status succeeded, requires_capture, requires_review (held by the fraud rules until ops decide) or failed. If the gateway is slower than the configured wait, 202 with status processing; poll GET /v1/payments/{id}.',
      body: createPaymentBody,
      responses: {
        201: { description: 'The payment, decided.', schema: paymentSchema },
        202: { description: 'The payment, still processing.', schema: paymentSchema },
        ...errorResponses,
        413: { description: 'The body is too large.', schema: errorSchema },
        422: { description: 'The Idempotency-Key was used before with different parameters.', schema: errorSchema },
        503: { description: 'The payment engine is unreachable; retry with the same Idempotency-Key.', schema: errorSchema },
      },
      async handle({ body, merchant, idempotencyKey, requestPath }) {
        const outcome = await payments.create(
          merchant,
          body,
          idempotencyKey ? { key: idempotencyKey, method: 'POST', path: requestPath } : undefined,
        );
        return { status: outcome.httpStatus, body: outcome.payment };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/payments/:id',
      operationId: 'getPayment',
      tags: ['Payments'],
      auth: 'merchant',
      summary: 'Retrieve a payment',
      params: paymentIdParams,
      responses: {
        200: { description: 'The payment.', schema: paymentSchema },
        ...errorResponses,
        404: { description: 'Payment not found.', schema: errorSchema },
      },
      async handle({ params, merchant }) {
        return { status: 200, body: await payments.get(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/payments',
      operationId: 'listPayments',
      tags: ['Payments'],
      auth: 'merchant',
      summary: 'List payments, newest first',
      query: listPaymentsQuery,
      responses: { 200: { description: 'A page of payments.', schema: paymentListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await payments.list(merchant, query.limit, query.starting_after);
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/payments/:id/capture',
      operationId: 'capturePayment',
      tags: ['Payments'],
      auth: 'merchant',
      idempotent: 'update',
      summary: 'Capture an authorized payment',
      params: paymentIdParams,
      body: capturePaymentBody,
      responses: {
        200: { description: 'The captured payment.', schema: paymentSchema },
        ...errorResponses,
        402: { description: 'The gateway refused the capture.', schema: errorSchema },
        404: { description: 'Payment not found.', schema: errorSchema },
        409: { description: 'The payment is not awaiting capture.', schema: errorSchema },
      },
      async handle({ params, body, merchant, updateId }) {
        return { status: 200, body: await payments.capture(merchant, params.id, body.amount, updateId) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/payments/:id/cancel',
      operationId: 'cancelPayment',
      tags: ['Payments'],
      auth: 'merchant',
      idempotent: 'update',
      summary: 'Cancel an authorized payment',
      params: paymentIdParams,
      body: cancelPaymentBody,
      responses: {
        200: { description: 'The canceled payment.', schema: paymentSchema },
        ...errorResponses,
        404: { description: 'Payment not found.', schema: errorSchema },
        409: { description: 'The payment is not awaiting capture.', schema: errorSchema },
      },
      async handle({ params, body, merchant, updateId }) {
        return { status: 200, body: await payments.cancel(merchant, params.id, body.cancellation_reason, updateId) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/payments/:id/review',
      operationId: 'reviewPayment',
      tags: ['Payments'],
      auth: 'admin',
      idempotent: 'update',
      summary: 'Approve or decline a payment held for review (ops)',
      description:
        "With the admin key, for any merchant's payment in status requires_review. approve answers once the authorization is decided (succeeded, requires_capture or failed); decline answers the payment failed with review_declined.",
      params: paymentIdParams,
      body: reviewPaymentBody,
      responses: {
        200: { description: 'The reviewed payment.', schema: paymentSchema },
        ...errorResponses,
        404: { description: 'Payment not found.', schema: errorSchema },
        409: { description: 'The payment is not held for review.', schema: errorSchema },
      },
      async handle({ params, body, updateId }) {
        return { status: 200, body: await payments.review(params.id, body.decision, body.note, updateId) };
      },
    }),
  ];
}
