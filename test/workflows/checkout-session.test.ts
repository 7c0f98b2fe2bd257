import { describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { useTimeSkippingEnvironment, type TimeSkippingEnvironment } from '../support/time-skipping';
import type { Orm } from '../../src/db/orm';
import { sqlFor } from '../../src/db/sql';
import { MerchantService } from '../../src/merchants/merchant-service';
import { newId } from '../../src/shared/ids';
import { CheckoutRepository } from '../../src/checkout/checkout-repository';
import {
  checkoutWorkflowId,
  initialCheckoutState,
  type CheckoutPaymentView,
  type CheckoutWorkflowInput,
} from '../../src/checkout/checkout-state';
import { checkoutWorkflow, expireCheckoutUpdate, getCheckoutStateQuery, submitCheckoutCardUpdate } from '../../workflows/checkout-workflow';
import type { Activities } from '../../activities';

const MINUTE = 60_000;
let env: TestWorkflowEnvironment;
let orm: Orm;
let withWorker: TimeSkippingEnvironment['withWorker'];
useTimeSkippingEnvironment((started) => ({ env, orm, withWorker } = started), {
  taskQueuePrefix: 'checkout',
  activities: { publicUrl: 'http://pay.test' },
});

/** A session row and its workflow input, as CheckoutService.create writes them. */
async function newSession(expiresInMs: number): Promise<CheckoutWorkflowInput> {
  const merchantId = (await new MerchantService(orm).create({ name: 'Checkout timers' })).merchant.id;
  const now = await env.currentTimeMs();
  const sessionId = newId('cs');
  const input: CheckoutWorkflowInput = {
    sessionId,
    merchantId,
    amountMinor: 2_500,
    currency: 'EUR',
    description: 'Two tickets',
    customerId: null,
    customerEmail: null,
    captureMethod: 'automatic',
    metadata: {},
    expiresAt: new Date(now + expiresInMs).toISOString(),
    createdAt: new Date(now).toISOString(),
    returnUrl: `http://pay.test/pay/${sessionId}/return`,
    actionTimeoutMs: 15 * MINUTE,
  };
  const state = initialCheckoutState(input);
  await new CheckoutRepository(sqlFor(orm.em.fork())).insertIfAbsent({
    id: sessionId,
    merchantId,
    livemode: false,
    amountMinor: input.amountMinor,
    currency: input.currency,
    description: input.description,
    customerId: null,
    customerEmail: null,
    successUrl: 'https://shop.test/ok',
    cancelUrl: 'https://shop.test/back',
    captureMethod: 'automatic',
    metadata: {},
    status: state.status,
    paymentStatus: state.paymentStatus,
    paymentId: null,
    payment: null,
    attempts: 0,
    formSecret: 'secret',
    expiresAt: new Date(input.expiresAt),
    completedAt: null,
    expiredAt: null,
    version: 1,
    createdAt: new Date(now),
    updatedAt: new Date(now),
  });
  return input;
}

function view(paymentId: string, status: string, extra: Partial<CheckoutPaymentView> = {}): CheckoutPaymentView {
  return { paymentId, status, gatewayReference: 'ch_1', actionUrl: null, failureCode: null, failureMessage: null, ...extra };
}

async function eventsOf(sessionId: string): Promise<string[]> {
  const rows = await orm.em
    .getConnection()
    .execute<{ type: string }[]>(`select type from events where object_id = ? order by created_at`, [sessionId]);
  return rows.map((row) => row.type);
}

/** Fake payment activities: each attempt's card decides its outcome (`tok_visa` pays, anything else is declined). */
function fakePayments(started: string[]) {
  return (activities: Activities): Activities => ({
    ...activities,
    async startCheckoutPayment({ paymentId, source }) {
      started.push(paymentId);
      if (source === 'tok_3ds') return view(paymentId, 'requires_action', { actionUrl: 'http://pay.test/sandbox/3ds/x' });
      return source === 'tok_visa'
        ? view(paymentId, 'succeeded')
        : view(paymentId, 'failed', { failureCode: 'card_declined', failureMessage: 'Your card was declined.' });
    },
    async awaitCheckoutPayment({ paymentId }) {
      return view(paymentId, 'succeeded');
    },
  });
}

describe('checkout session workflow', () => {
  it('when no card comes before expires_at, then the session expires at that time and records checkout.session.expired', async () => {
    const input = await newSession(30 * MINUTE);
    const result = await withWorker(async (taskQueue) =>
      env.client.workflow.execute(checkoutWorkflow, { workflowId: checkoutWorkflowId(input.sessionId), taskQueue, args: [input] }),
    );
    expect(result).toMatchObject({ status: 'expired', paymentStatus: 'unpaid', attempts: 0 });
    expect(Date.parse(result.expiredAt as string)).toBeGreaterThanOrEqual(Date.parse(input.expiresAt));
    expect(Date.parse(result.expiredAt as string)).toBeLessThan(Date.parse(input.expiresAt) + MINUTE);
    expect(await new CheckoutRepository(sqlFor(orm.em.fork())).find(input.sessionId)).toMatchObject({ status: 'expired' });
    expect(await eventsOf(input.sessionId)).toEqual(['checkout.session.expired']);
  });

  it('when six submits arrive together, then one payment is started and every submit answers the completed session', async () => {
    const input = await newSession(30 * MINUTE);
    const started: string[] = [];
    const answers = await withWorker(
      async (taskQueue) => {
        const handle = await env.client.workflow.start(checkoutWorkflow, {
          workflowId: checkoutWorkflowId(input.sessionId),
          taskQueue,
          args: [input],
        });
        const submits = await Promise.all(
          Array.from({ length: 6 }, () => handle.executeUpdate(submitCheckoutCardUpdate, { args: [{ source: 'tok_visa' }] })),
        );
        await handle.result();
        return submits;
      },
      { adaptActivities: fakePayments(started) },
    );
    expect(started).toHaveLength(1);
    // The first submit waits for the payment; the others come in while it runs, or after, and start nothing.
    expect(answers.some((state) => state.status === 'complete')).toBe(true);
    // The others answer the session as it stood: no attempt of their own, never a second payment.
    expect(answers.every((state) => state.attempts <= 1)).toBe(true);
    expect(await eventsOf(input.sessionId)).toEqual(['checkout.session.completed']);
  });

  it('when the first card is declined, then the session stays open and the next card completes it', async () => {
    const input = await newSession(30 * MINUTE);
    const started: string[] = [];
    const { declined, paid, final } = await withWorker(
      async (taskQueue) => {
        const handle = await env.client.workflow.start(checkoutWorkflow, {
          workflowId: checkoutWorkflowId(input.sessionId),
          taskQueue,
          args: [input],
        });
        const declined = await handle.executeUpdate(submitCheckoutCardUpdate, { args: [{ source: 'tok_chargeDeclined' }] });
        const paid = await handle.executeUpdate(submitCheckoutCardUpdate, { args: [{ source: 'tok_visa' }] });
        return { declined, paid, final: await handle.result() };
      },
      { adaptActivities: fakePayments(started) },
    );
    expect(declined).toMatchObject({ status: 'open', paymentStatus: 'failed', attempts: 1, payment: { failureCode: 'card_declined' } });
    expect(paid).toMatchObject({ status: 'complete', paymentStatus: 'paid', attempts: 2 });
    expect(final.payment?.paymentId).toBe(started[1]);
    expect(started[0]).not.toBe(started[1]);
  });

  it('when 3-D Secure is still under way at expires_at, then the session waits for the payment and completes', async () => {
    const input = await newSession(1_500);
    const started: string[] = [];
    let released = false;
    const { first, expireRefused, pastExpiry, serverNow, final } = await withWorker(
      async (taskQueue) => {
        const handle = await env.client.workflow.start(checkoutWorkflow, {
          workflowId: checkoutWorkflowId(input.sessionId),
          taskQueue,
          args: [input],
        });
        const first = await handle.executeUpdate(submitCheckoutCardUpdate, { args: [{ source: 'tok_3ds' }] });
        const expireRefused = await handle.executeUpdate(expireCheckoutUpdate).then(
          () => 'expired',
          (error: Error) => (error.cause as { type?: string } | undefined)?.type ?? error.message,
        );
        // Past expires_at on the server's clock while the customer is still authenticating.
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        const pastExpiry = await handle.query(getCheckoutStateQuery);
        const serverNow = await env.currentTimeMs();
        released = true;
        return { first, expireRefused, pastExpiry, serverNow, final: await handle.result() };
      },
      {
        adaptActivities: (activities) => ({
          ...fakePayments(started)(activities),
          // Each wait lasts a while on the real clock, as the real activity's polling does, and sees 3-D Secure until released.
          async awaitCheckoutPayment({ paymentId }) {
            await new Promise((resolve) => setTimeout(resolve, 200));
            return view(
              paymentId,
              released ? 'succeeded' : 'requires_action',
              released ? {} : { actionUrl: 'http://pay.test/sandbox/3ds/x' },
            );
          },
        }),
      },
    );
    expect(first).toMatchObject({
      status: 'open',
      paymentStatus: 'requires_action',
      payment: { actionUrl: 'http://pay.test/sandbox/3ds/x' },
    });
    expect(expireRefused).toBe('CheckoutPaymentInProgress');
    expect(serverNow).toBeGreaterThan(Date.parse(input.expiresAt));
    expect(pastExpiry).toMatchObject({ status: 'open', paymentStatus: 'requires_action' });
    expect(final).toMatchObject({ status: 'complete', paymentStatus: 'paid', attempts: 1 });
    expect(started).toHaveLength(1);
  });

  it('when the merchant expires an open session, then it expires at once, and a card sent after starts nothing', async () => {
    const input = await newSession(24 * 60 * MINUTE);
    const started: string[] = [];
    const { expired, state } = await withWorker(
      async (taskQueue) => {
        const handle = await env.client.workflow.start(checkoutWorkflow, {
          workflowId: checkoutWorkflowId(input.sessionId),
          taskQueue,
          args: [input],
        });
        const expired = await handle.executeUpdate(expireCheckoutUpdate);
        const state = await handle.query(getCheckoutStateQuery);
        return { expired, state };
      },
      { adaptActivities: fakePayments(started) },
    );
    expect(expired).toMatchObject({ status: 'expired' });
    expect(state.status).toBe('expired');
    expect(started).toHaveLength(0);
    expect(await eventsOf(input.sessionId)).toEqual(['checkout.session.expired']);
  });
});
