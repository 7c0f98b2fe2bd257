import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { PlanService } from './plan-service';
import { createPlanBody, listPlansQuery, planIdParams, planListSchema, planSchema } from './plan-schemas';

/** The /v1/plans endpoints: prices that subscriptions charge every period. */
export function planRoutes(plans: PlanService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/plans',
      operationId: 'createPlan',
      tags: ['Plans'],
      auth: 'merchant',
      idempotent: 'create',
      summary: 'Create a plan',
      description:
        'A price charged every interval_count intervals, e.g. 19.90 USD every month. The same Idempotency-Key with the same body answers with the same plan.',
      body: createPlanBody,
      responses: {
        201: { description: 'The plan.', schema: planSchema },
        ...errorResponses,
        422: { description: 'The Idempotency-Key was used before with different parameters.', schema: errorSchema },
      },
      async handle({ body, merchant, idempotencyKey, requestPath }) {
        return {
          status: 201,
          body: await plans.create(merchant, body, idempotencyKey ? { key: idempotencyKey, method: 'POST', path: requestPath } : undefined),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/plans/:id',
      operationId: 'getPlan',
      tags: ['Plans'],
      auth: 'merchant',
      summary: 'Retrieve a plan',
      params: planIdParams,
      responses: {
        200: { description: 'The plan.', schema: planSchema },
        ...errorResponses,
        404: { description: 'Plan not found.', schema: errorSchema },
      },
      async handle({ params, merchant }) {
        return { status: 200, body: await plans.get(merchant, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/plans',
      operationId: 'listPlans',
      tags: ['Plans'],
      auth: 'merchant',
      summary: 'List plans, newest first',
      query: listPlansQuery,
      responses: { 200: { description: 'A page of plans.', schema: planListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await plans.list(merchant, { active: query.active, limit: query.limit, startingAfter: query.starting_after });
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
  ];
}
