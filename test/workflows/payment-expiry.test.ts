import { beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { useTimeSkippingEnvironment, type TimeSkippingEnvironment } from '../support/time-skipping';
import { sandboxOperationsOf } from '../support/sandbox-gateway';
import type { Orm } from '../../src/db/orm';
import { MerchantService } from '../../src/merchants/merchant-service';
import { newId } from '../../src/shared/ids';
import { paymentWorkflowId, type PaymentWorkflowInput } from '../../src/payments/payment-state';
import { capturePaymentUpdate, getPaymentStateQuery, paymentWorkflow } from '../../workflows/payment-workflow';

const DAY = 24 * 3600 * 1000;
let env: TestWorkflowEnvironment;
let orm: Orm;
let withWorker: TimeSkippingEnvironment['withWorker'];
let merchantId: string;
useTimeSkippingEnvironment((started) => ({ env, orm, withWorker } = started), { taskQueuePrefix: 'expiry' });

beforeAll(async () => {
  merchantId = (await new MerchantService(orm).create({ name: 'Expiry test' })).merchant.id;
});

function input(overrides: Partial<PaymentWorkflowInput> = {}): PaymentWorkflowInput {
  return {
    paymentId: newId('pay'),
    merchantId,
    amountMinor: 12_345,
    currency: 'USD',
    source: 'tok_visa',
    description: null,
    metadata: {},
    captureMethod: 'manual',
    gateway: 'sandbox',
    createdAt: new Date().toISOString(),
    authorizationTtlMs: 7 * DAY,
    fees: { percentBps: 290, fixedMinor: 30 },
    ...overrides,
  };
}

describe('an uncaptured authorization expires (time-skipping)', () => {
  it('when nobody captures within 7 days, then the authorization is voided and the payment is canceled as expired', async () => {
    const args = input({ createdAt: new Date(await env.currentTimeMs()).toISOString() });
    const state = await withWorker((taskQueue) =>
      env.client.workflow.execute(paymentWorkflow, {
        workflowId: paymentWorkflowId(args.paymentId),
        taskQueue,
        args: [args],
      }),
    );
    expect(state).toMatchObject({ status: 'canceled', cancellationReason: 'expired', amountCapturableMinor: 0, amountCapturedMinor: 0 });
    expect(Date.parse(state.canceledAt as string) - Date.parse(args.createdAt)).toBeGreaterThanOrEqual(7 * DAY);
    expect(await sandboxOperationsOf(orm, args.paymentId)).toEqual(['authorize', 'void']);
    const stored = await orm.em.getConnection().execute(`select status, cancellation_reason from payments where id = ?`, [args.paymentId]);
    expect(stored).toEqual([{ status: 'canceled', cancellation_reason: 'expired' }]);
  });

  it('when the merchant captures on day 6, then the timer does not void it', async () => {
    const args = input({ createdAt: new Date(await env.currentTimeMs()).toISOString() });
    const state = await withWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(paymentWorkflow, {
        workflowId: paymentWorkflowId(args.paymentId),
        taskQueue,
        args: [args],
      });
      // Wait until the authorization is recorded, then let six days pass.
      for (;;) {
        if ((await handle.query(getPaymentStateQuery)).status === 'requires_capture') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await env.sleep(6 * DAY);
      await handle.executeUpdate(capturePaymentUpdate, { args: [{}] });
      return handle.result();
    });
    expect(state).toMatchObject({ status: 'succeeded', amountCapturedMinor: 12_345 });
    expect(await sandboxOperationsOf(orm, args.paymentId)).toEqual(['authorize', 'capture']);
  });
});
