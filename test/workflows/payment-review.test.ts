import { beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import type { Activities } from '../../activities';
import { useTimeSkippingEnvironment, type TimeSkippingEnvironment } from '../support/time-skipping';
import type { Orm } from '../../src/db/orm';
import { MerchantService } from '../../src/merchants/merchant-service';
import { newId } from '../../src/shared/ids';
import { paymentWorkflowId, type PaymentWorkflowInput } from '../../src/payments/payment-state';
import { getPaymentStateQuery, paymentWorkflow, reviewPaymentUpdate } from '../../workflows/payment-workflow';
import { latch } from '../support/latch';
import { sandboxOperationsOf } from '../support/sandbox-gateway';

const HOUR = 3600 * 1000;
let env: TestWorkflowEnvironment;
let orm: Orm;
let withWorker: TimeSkippingEnvironment['withWorker'];
let merchantId: string;
useTimeSkippingEnvironment((started) => ({ env, orm, withWorker } = started), { taskQueuePrefix: 'review' });

beforeAll(async () => {
  merchantId = (await new MerchantService(orm).create({ name: 'Review test' })).merchant.id;
});

async function input(overrides: Partial<PaymentWorkflowInput> = {}): Promise<PaymentWorkflowInput> {
  return {
    paymentId: newId('pay'),
    merchantId,
    amountMinor: 4_200,
    currency: 'USD',
    source: 'tok_risk_elevated',
    description: null,
    metadata: {},
    captureMethod: 'automatic',
    gateway: 'sandbox',
    createdAt: new Date(await env.currentTimeMs()).toISOString(),
    authorizationTtlMs: 7 * 24 * HOUR,
    reviewTimeoutMs: 2 * HOUR,
    fees: { percentBps: 290, fixedMinor: 30 },
    ...overrides,
  };
}

async function heldForReview(handle: WorkflowHandle<typeof paymentWorkflow>): Promise<void> {
  for (;;) {
    if ((await handle.query(getPaymentStateQuery)).status === 'requires_review') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stored(paymentId: string) {
  const [row] = await orm.em.getConnection().execute(`select status, failure_code from payments where id = ?`, [paymentId]);
  const events = await orm.em
    .getConnection()
    .execute<{ type: string }[]>(`select type from events where object_id = ? order by created_at, id`, [paymentId]);
  return { ...row, events: events.map((event) => event.type) };
}

describe('a payment held for manual review (time-skipping)', () => {
  it('when nobody decides within the review timeout, then it is declined with review_timeout and the card is never charged', async () => {
    const args = await input();
    const state = await withWorker((taskQueue) =>
      env.client.workflow.execute(paymentWorkflow, {
        workflowId: paymentWorkflowId(args.paymentId),
        taskQueue,
        args: [args],
      }),
    );
    expect(state).toMatchObject({ status: 'failed', failureCode: 'review_timeout', amountCapturedMinor: 0 });
    expect(state.review).toMatchObject({ rule: 'elevated_risk_level', outcome: 'timeout' });
    // The timeout is the one in the workflow's input (2 h here), not the 24 h default.
    const waited = Date.parse(state.review?.decidedAt as string) - Date.parse(state.review?.heldAt as string);
    expect(waited).toBeGreaterThanOrEqual(2 * HOUR);
    expect(waited).toBeLessThan(3 * HOUR);
    expect(await sandboxOperationsOf(orm, args.paymentId)).toEqual([]);
    expect(await stored(args.paymentId)).toEqual({
      status: 'failed',
      failure_code: 'review_timeout',
      events: ['payment.requires_review', 'payment.failed'],
    });
  });

  it('when ops approve an hour later, then the payment continues to authorization and succeeds with one charge', async () => {
    const args = await input();
    const { approved, result } = await withWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(paymentWorkflow, {
        workflowId: paymentWorkflowId(args.paymentId),
        taskQueue,
        args: [args],
      });
      await heldForReview(handle);
      expect(await stored(args.paymentId)).toMatchObject({ status: 'requires_review' });
      await env.sleep(HOUR);
      const approved = await handle.executeUpdate(reviewPaymentUpdate, {
        args: [{ decision: 'approve', reviewer: 'ops@example.com', note: 'called the customer' }],
      });
      return { approved, result: await handle.result() };
    });
    expect(approved).toMatchObject({ status: 'succeeded', amountCapturedMinor: 4_200 });
    expect(result.review).toMatchObject({ outcome: 'approve', reviewer: 'ops@example.com', note: 'called the customer' });
    expect(await sandboxOperationsOf(orm, args.paymentId)).toEqual(['authorize']);
    expect(await stored(args.paymentId)).toEqual({
      status: 'succeeded',
      failure_code: null,
      events: ['payment.requires_review', 'payment.succeeded'],
    });
  });

  it('when the approval arrives while requires_review is still being recorded (the API already shows it), then it answers with the outcome, not the held state', async () => {
    const args = await input();
    const recordingHeld = latch();
    const recordingSeen = latch();
    const approved = await withWorker(
      async (taskQueue) => {
        const handle = await env.client.workflow.start(paymentWorkflow, {
          workflowId: paymentWorkflowId(args.paymentId),
          taskQueue,
          args: [args],
        });
        await recordingSeen.reached;
        const update = await handle.startUpdate(reviewPaymentUpdate, {
          args: [{ decision: 'approve' }],
          waitForStage: WorkflowUpdateStage.ACCEPTED,
        });
        recordingHeld.release();
        const approved = await update.result();
        await handle.result();
        return approved;
      },
      {
        adaptActivities: (activities) => ({
          ...activities,
          // The requires_review row is written (the API would show it), and the activity's answer is held back.
          recordPaymentOutcome: async (request: Parameters<Activities['recordPaymentOutcome']>[0]) => {
            const recorded = await activities.recordPaymentOutcome(request);
            if (request.state.status === 'requires_review') {
              recordingSeen.release();
              await recordingHeld.reached;
            }
            return recorded;
          },
        }),
      },
    );
    expect(approved).toMatchObject({ status: 'succeeded', amountCapturedMinor: 4_200 });
    expect(await sandboxOperationsOf(orm, args.paymentId)).toEqual(['authorize']);
  });

  it('when ops decline, then the payment fails with review_declined without any gateway call', async () => {
    const args = await input();
    const declined = await withWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(paymentWorkflow, {
        workflowId: paymentWorkflowId(args.paymentId),
        taskQueue,
        args: [args],
      });
      await heldForReview(handle);
      const declined = await handle.executeUpdate(reviewPaymentUpdate, { args: [{ decision: 'decline' }] });
      await handle.result();
      return declined;
    });
    expect(declined).toMatchObject({ status: 'failed', failureCode: 'review_declined' });
    expect(await sandboxOperationsOf(orm, args.paymentId)).toEqual([]);
    expect(await stored(args.paymentId)).toMatchObject({ status: 'failed', failure_code: 'review_declined' });
  });
});
