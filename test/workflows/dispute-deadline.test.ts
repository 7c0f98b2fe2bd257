import { describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateStage } from '@temporalio/client';
import { useTimeSkippingEnvironment, type TimeSkippingEnvironment } from '../support/time-skipping';
import type { Orm } from '../../src/db/orm';
import { disputeWorkflowId, type DisputeWorkflowInput } from '../../src/disputes/dispute-state';
import { MerchantService } from '../../src/merchants/merchant-service';
import { savePayment } from '../../src/payments/payment-repository';
import { sqlFor } from '../../src/db/sql';
import { newId } from '../../src/shared/ids';
import {
  acceptDisputeUpdate,
  disputeWorkflow,
  getDisputeStateQuery,
  resolveDisputeUpdate,
  submitEvidenceUpdate,
} from '../../workflows/dispute-workflow';
import { merchantBalances } from '../support/ledger';
import { latch } from '../support/latch';

const DAY = 24 * 3600 * 1000;
let env: TestWorkflowEnvironment;
let orm: Orm;
let withWorker: TimeSkippingEnvironment['withWorker'];
useTimeSkippingEnvironment((started) => ({ env, orm, withWorker } = started), { taskQueuePrefix: 'disputes' });

/** A merchant with one captured 100.00 USD payment, written as the payment workflow would have left it. */
async function capturedPayment(): Promise<{ merchantId: string; paymentId: string }> {
  const merchantId = (await new MerchantService(orm).create({ name: 'Dispute deadline' })).merchant.id;
  const paymentId = newId('pay');
  const now = new Date();
  await savePayment(sqlFor(orm.em.fork()), {
    id: paymentId,
    merchantId,
    amountMinor: 10_000,
    currency: 'USD',
    status: 'succeeded',
    captureMethod: 'automatic',
    source: 'tok_visa',
    description: null,
    metadata: {},
    amountCapturableMinor: 0,
    amountCapturedMinor: 10_000,
    amountRefundedMinor: 0,
    feeMinor: 320,
    gateway: 'sandbox',
    gatewayReference: newId('ch'),
    createdAt: now,
    updatedAt: now,
    capturedAt: now,
  });
  return { merchantId, paymentId };
}

async function input(): Promise<DisputeWorkflowInput> {
  const { merchantId, paymentId } = await capturedPayment();
  const now = await env.currentTimeMs();
  return {
    disputeId: newId('dp'),
    merchantId,
    paymentId,
    amountMinor: 10_000,
    feeMinor: 1_500,
    currency: 'USD',
    reason: 'fraudulent',
    gateway: 'sandbox',
    networkReference: newId('ndp'),
    evidenceDueBy: new Date(now + 7 * DAY).toISOString(),
    createdAt: new Date(now).toISOString(),
  };
}

async function waitFor(handle: { query: (q: typeof getDisputeStateQuery) => Promise<{ status: string }> }, status: string): Promise<void> {
  while ((await handle.query(getDisputeStateQuery)).status !== status) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('the evidence deadline is a durable timer (time-skipping)', () => {
  it('when no evidence arrives within 7 days, then the dispute is lost for no response and the debit is final', async () => {
    const args = await input();
    const started = Date.now();
    const state = await withWorker((taskQueue) =>
      env.client.workflow.execute(disputeWorkflow, { workflowId: disputeWorkflowId(args.disputeId), taskQueue, args: [args] }),
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(state).toMatchObject({ status: 'lost', closedReason: 'no_response' });
    expect(await merchantBalances(orm, args.merchantId)).toEqual({ available: -11_500, reserve: 0 });
    const stored = await orm.em.getConnection().execute(`select status, closed_reason from disputes where id = ?`, [args.disputeId]);
    expect(stored).toEqual([{ status: 'lost', closed_reason: 'no_response' }]);
  });

  it('when evidence is submitted on day 6, then the deadline no longer applies and the network decides', async () => {
    const args = await input();
    const state = await withWorker(async (taskQueue) => {
      const handle = await env.client.workflow.start(disputeWorkflow, {
        workflowId: disputeWorkflowId(args.disputeId),
        taskQueue,
        args: [args],
      });
      await waitFor(handle, 'needs_response');
      await env.sleep(6 * DAY);
      await handle.executeUpdate(submitEvidenceUpdate, { args: [{ evidence: { receipt: 'signed delivery note' }, submit: true }] });
      await env.sleep(30 * DAY);
      expect((await handle.query(getDisputeStateQuery)).status).toBe('under_review');
      await handle.executeUpdate(resolveDisputeUpdate, { args: [{ outcome: 'won' }] });
      return handle.result();
    });
    expect(state).toMatchObject({ status: 'won', closedReason: 'network_decision' });
    expect(await merchantBalances(orm, args.merchantId)).toEqual({ available: -1_500, reserve: 0 });
  });

  it('when the merchant accepts a dispute whose opening is stored but not yet reported to the workflow, then the acceptance waits for it and the dispute is lost', async () => {
    const args = await input();
    const openingHeld = latch();
    const openingStored = latch();
    const state = await withWorker(
      async (taskQueue) => {
        const handle = await env.client.workflow.start(disputeWorkflow, {
          workflowId: disputeWorkflowId(args.disputeId),
          taskQueue,
          args: [args],
        });
        await openingStored.reached;
        // The row says needs_response (what the API shows the merchant); the workflow still says opening.
        const [row] = await orm.em.getConnection().execute(`select status from disputes where id = ?`, [args.disputeId]);
        expect([row.status, (await handle.query(getDisputeStateQuery)).status]).toEqual(['needs_response', 'opening']);
        // Accepted (not refused) while the workflow still says opening, then carried out once the opening is reported.
        const accepted = await handle.startUpdate(acceptDisputeUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED });
        openingHeld.release();
        expect(await accepted.result()).toMatchObject({ status: 'lost', closedReason: 'accepted' });
        return handle.result();
      },
      {
        adaptActivities: (activities) => ({
          ...activities,
          // As when a worker dies between storing the opening and reporting it: the workflow hears back late.
          openDispute: async (opening: DisputeWorkflowInput) => {
            const result = await activities.openDispute(opening);
            openingStored.release();
            await openingHeld.reached;
            return result;
          },
        }),
      },
    );
    expect(state).toMatchObject({ status: 'lost', closedReason: 'accepted' });
    expect(await merchantBalances(orm, args.merchantId)).toEqual({ available: -11_500, reserve: 0 });
  });
});
