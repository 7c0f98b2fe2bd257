import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { PayoutScheduleService } from './payout-schedule-service';
import {
  adminPayoutScheduleSchema,
  merchantIdParams,
  pausePayoutsBody,
  payoutScheduleSchema,
  updatePayoutScheduleBody,
} from './payout-schedule-schemas';

const merchantNotFound = { 404: { description: 'No such merchant.', schema: errorSchema } };

/** The merchant's automatic payout settings, and ops' pause and resume of a merchant's payouts. */
export function payoutScheduleRoutes(schedules: PayoutScheduleService): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/payout_schedule',
      operationId: 'getPayoutSchedule',
      tags: ['Payouts'],
      auth: 'merchant',
      summary: 'Retrieve the automatic payout settings',
      description: 'A merchant that never changed them is on `manual`: payouts are made only by POST /v1/payouts.',
      responses: { 200: { description: 'The settings.', schema: payoutScheduleSchema }, ...errorResponses },
      async handle({ merchant }) {
        return { status: 200, body: await schedules.get(merchant) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/payout_schedule',
      operationId: 'updatePayoutSchedule',
      tags: ['Payouts'],
      auth: 'merchant',
      summary: 'Change the automatic payout settings',
      description:
        'Fields not sent keep their values. `daily`, `weekly` (on `weekly_anchor`) and `monthly` (on `monthly_anchor`; a shorter month pays on its last day) ' +
        'pay out at `run_hour_utc`, per currency with a default bank account (or, with `gateway_account`, per currency that Stripe account takes, through it): ' +
        'the available balance less what became available in the last `delay_days`, ' +
        "less the payout fee, when that reaches the currency's minimum. An anchor is needed when its interval is chosen and refused with another interval. " +
        '`gateway_account` is checked as POST /v1/payouts checks it; null clears it. ' +
        'Repeating the same request changes nothing.',
      body: updatePayoutScheduleBody,
      responses: { 200: { description: 'The settings now.', schema: payoutScheduleSchema }, ...errorResponses },
      async handle({ merchant, body }) {
        return { status: 200, body: await schedules.update(merchant, body) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/merchants/:id/payouts/pause',
      operationId: 'pauseMerchantPayouts',
      tags: ['Payouts'],
      auth: 'admin',
      summary: "Pause a merchant's payouts (admin key)",
      description:
        "No automatic payout runs (the merchant's Temporal Schedule is paused, with the reason as its note) and POST /v1/payouts answers 400 `payouts_paused`. " +
        'Payouts already made go on. Pausing again replaces the reason.',
      params: merchantIdParams,
      body: pausePayoutsBody,
      responses: { 200: { description: 'The settings now.', schema: adminPayoutScheduleSchema }, ...errorResponses, ...merchantNotFound },
      async handle({ params, body }) {
        return { status: 200, body: await schedules.pause(params.id, body.reason) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/merchants/:id/payouts/resume',
      operationId: 'resumeMerchantPayouts',
      tags: ['Payouts'],
      auth: 'admin',
      summary: "Resume a merchant's payouts (admin key)",
      description: 'The next scheduled run pays out what built up while paused. Resuming payouts that are not paused changes nothing.',
      params: merchantIdParams,
      responses: { 200: { description: 'The settings now.', schema: adminPayoutScheduleSchema }, ...errorResponses, ...merchantNotFound },
      async handle({ params }) {
        return { status: 200, body: await schedules.resume(params.id) };
      },
    }),
  ];
}
