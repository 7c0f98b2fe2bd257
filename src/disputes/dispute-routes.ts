import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { DisputeService } from './dispute-service';
import { disputeIdParams, disputeListSchema, disputeSchema, listDisputesQuery, submitEvidenceBody } from './dispute-schemas';

const notFound = { 404: { description: 'Dispute not found.', schema: errorSchema } };
const wrongState = { 409: { description: 'The dispute is past that step.', schema: errorSchema } };

/** The merchant's side of disputes: read them, answer with evidence, or accept. */
export function disputeRoutes(disputes: DisputeService): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/disputes/:id',
      operationId: 'getDispute',
      tags: ['Disputes'],
      auth: 'merchant',
      summary: 'Retrieve a dispute',
      params: disputeIdParams,
      responses: { 200: { description: 'The dispute.', schema: disputeSchema }, ...errorResponses, ...notFound },
      async handle({ params, merchant }) {
        return { status: 200, body: await disputes.get(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/disputes',
      operationId: 'listDisputes',
      tags: ['Disputes'],
      auth: 'merchant',
      summary: 'List disputes, newest first',
      query: listDisputesQuery,
      responses: { 200: { description: 'A page of disputes.', schema: disputeListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await disputes.list(merchant, {
          status: query.status,
          paymentId: query.payment_id,
          limit: query.limit,
          startingAfter: query.starting_after,
        });
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/disputes/:id/evidence',
      operationId: 'submitDisputeEvidence',
      tags: ['Disputes'],
      auth: 'merchant',
      idempotent: 'update',
      summary: 'Save or submit evidence',
      description:
        'With submit: false the evidence is a draft; with submit: true (the default) it goes to the network once and the dispute is under_review.',
      params: disputeIdParams,
      body: submitEvidenceBody,
      responses: { 200: { description: 'The dispute.', schema: disputeSchema }, ...errorResponses, ...notFound, ...wrongState },
      async handle({ params, body, merchant, updateId }) {
        return {
          status: 200,
          body: await disputes.submitEvidence(merchant, params.id, { evidence: body.evidence, submit: body.submit }, updateId),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/disputes/:id/close',
      operationId: 'closeDispute',
      tags: ['Disputes'],
      auth: 'merchant',
      idempotent: 'update',
      summary: 'Accept the dispute',
      description: 'The dispute is lost: the disputed amount goes to the cardholder and the fee stays charged.',
      params: disputeIdParams,
      responses: { 200: { description: 'The lost dispute.', schema: disputeSchema }, ...errorResponses, ...notFound, ...wrongState },
      async handle({ params, merchant, updateId }) {
        return { status: 200, body: await disputes.accept(merchant, params.id, updateId) };
      },
    }),
  ];
}
