import { beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { useTimeSkippingEnvironment, type TimeSkippingEnvironment } from '../support/time-skipping';
import type { Orm } from '../../src/db/orm';
import { MerchantService } from '../../src/merchants/merchant-service';
import { newId } from '../../src/shared/ids';
import { PAYMENT_FAILURES } from '../../src/shared/failure-types';
import { paymentWorkflowId, UNKNOWN_OUTCOME_HOLD_AFTER_MS, type PaymentWorkflowInput } from '../../src/payments/payment-state';
import {
  GatewayError,
  GatewayRegistry,
  type AuthorizationLookup,
  type AuthorizationStatus,
  type AuthorizeRequest,
  type AuthorizeResult,
  type PaymentGateway,
} from '../../src/gateways/payment-gateway';
import { getPaymentStateQuery, paymentWorkflow } from '../../workflows/payment-workflow';

let env: TestWorkflowEnvironment;
let orm: Orm;
let withWorker: TimeSkippingEnvironment['withWorker'];
let merchantId: string;
useTimeSkippingEnvironment((started) => ({ env, orm, withWorker } = started), { taskQueuePrefix: 'status-sync' });

beforeAll(async () => {
  merchantId = (await new MerchantService(orm).create({ name: 'Status sync test' })).merchant.id;
});

/**
 * A gateway whose authorize answers are lost (the outside world, scripted): `lookups` says what each
 * status sync finds, in order, the last one repeating. Everything it was asked is recorded.
 */
class AnswerLosingGateway implements PaymentGateway {
  readonly name = 'sandbox';
  readonly authorizeKeys: string[] = [];
  readonly lookupRequests: AuthorizationLookup[] = [];
  readonly voids: string[] = [];
  constructor(
    private readonly script: { authorize: (attempt: number) => AuthorizeResult | 'lost' | 'crash'; lookups: AuthorizationStatus[] },
  ) {}
  recognizesSource = () => true;
  riskLevel = async () => 'normal' as const;
  async authorize(request: AuthorizeRequest): Promise<AuthorizeResult> {
    this.authorizeKeys.push(request.idempotencyKey);
    const answer = this.script.authorize(this.authorizeKeys.length);
    if (answer === 'lost') throw new GatewayError('GatewayOutcomeUnknown', PAYMENT_FAILURES.GatewayOutcomeUnknown.message);
    // Not a gateway answer at all (the database behind the adapter restarting, say): Temporal retries it.
    if (answer === 'crash') throw new Error('the connection to the database was reset');
    return answer;
  }
  async lookupAuthorization(request: AuthorizationLookup): Promise<AuthorizationStatus> {
    this.lookupRequests.push(request);
    return this.script.lookups[Math.min(this.lookupRequests.length, this.script.lookups.length) - 1];
  }
  async capture(): Promise<never> {
    throw new Error('not used');
  }
  async void(request: { idempotencyKey: string; reference: string }) {
    this.voids.push(request.idempotencyKey);
    return { reference: request.reference };
  }
  async refund(): Promise<never> {
    throw new Error('not used');
  }
}

function input(overrides: Partial<PaymentWorkflowInput> = {}): PaymentWorkflowInput {
  return {
    paymentId: newId('pay'),
    merchantId,
    amountMinor: 4_200,
    currency: 'USD',
    source: 'tok_visa',
    description: null,
    metadata: {},
    captureMethod: 'automatic',
    gateway: 'sandbox',
    createdAt: new Date().toISOString(),
    authorizationTtlMs: 7 * 24 * 3600_000,
    fees: { percentBps: 290, fixedMinor: 30 },
    ...overrides,
  };
}

const storedStatus = async (paymentId: string) =>
  (await orm.em.getConnection().execute(`select status, hold_reason from payments where id = ?`, [paymentId]))[0];

describe('an unknown gateway outcome is resolved by status sync (time-skipping)', () => {
  it('when the answer is lost and the gateway stays undecided past the bound, then the payment is held, never failed, and succeeds once found', async () => {
    const pending: AuthorizationStatus = { outcome: 'pending', reference: null };
    // Lookups back off 1 s, 2 s, 4 s ... 5 min: the 14th comes well past the 10-minute bound.
    const gateway = new AnswerLosingGateway({
      authorize: () => 'lost',
      lookups: [...Array<AuthorizationStatus>(13).fill(pending), { outcome: 'captured', reference: 'ref_found', capturedMinor: 4_200 }],
    });
    const args = input({ createdAt: new Date(await env.currentTimeMs()).toISOString() });
    const { held, final } = await withWorker(
      async (taskQueue) => {
        const handle = await env.client.workflow.start(paymentWorkflow, {
          workflowId: paymentWorkflowId(args.paymentId),
          taskQueue,
          args: [args],
        });
        await env.sleep(UNKNOWN_OUTCOME_HOLD_AFTER_MS + 5 * 60_000);
        const heldState = await handle.query(getPaymentStateQuery);
        const heldRow = await storedStatus(args.paymentId);
        const description = await handle.describe();
        return {
          held: { state: heldState, row: heldRow, attribute: description.searchAttributes.PaymentStatus },
          final: await handle.result(),
        };
      },
      { gateways: new GatewayRegistry([gateway], 'sandbox') },
    );
    expect(held.state).toMatchObject({ status: 'held', holdReason: 'gateway_outcome_unknown' });
    expect(held.row).toEqual({ status: 'held', hold_reason: 'gateway_outcome_unknown' });
    expect(held.attribute).toEqual(['held']);
    expect(final).toMatchObject({
      status: 'succeeded',
      amountCapturedMinor: 4_200,
      gatewayReference: 'ref_found',
      holdReason: null,
      failureCode: null,
    });
    expect(await storedStatus(args.paymentId)).toEqual({ status: 'succeeded', hold_reason: null });
    // The gateway said "pending", never "no trace": the request was never sent a second time.
    expect(gateway.authorizeKeys).toEqual([`${args.paymentId}:authorize`]);
    expect(gateway.lookupRequests).toHaveLength(14);
    expect(gateway.lookupRequests[0]).toMatchObject({ idempotencyKey: `${args.paymentId}:authorize`, paymentId: args.paymentId });
  });

  it('when an attempt that could fail over runs out of tries without any answer, then status sync decides it: no failover, no failed workflow', async () => {
    const gateway = new AnswerLosingGateway({
      authorize: () => 'crash',
      lookups: [{ outcome: 'captured', reference: 'ref_found', capturedMinor: 4_200 }],
    });
    const args = input({
      // Failed over to, it would be stored with the payment; never used, it need not exist.
      failover: { accounts: [{ gateway: 'sandbox', gatewayAccount: 'gwa_second' }], maxAttempts: 2 },
    });
    const final = await withWorker(
      (taskQueue) =>
        env.client.workflow.execute(paymentWorkflow, { workflowId: paymentWorkflowId(args.paymentId), taskQueue, args: [args] }),
      { gateways: new GatewayRegistry([gateway], 'sandbox') },
    );
    expect(final).toMatchObject({ status: 'succeeded', gatewayReference: 'ref_found' });
    expect(final.gatewayAccount ?? null).toBeNull();
    // Three tries at the first account, then lookups; the second account was never asked (the first may have charged).
    expect(gateway.authorizeKeys).toEqual(Array(3).fill(`${args.paymentId}:authorize`));
    expect(gateway.lookupRequests.length).toBeGreaterThan(0);
  });

  it('when the gateway has no trace of the request, then it is sent again under the same key, and a decline found later fails the payment', async () => {
    const gateway = new AnswerLosingGateway({
      authorize: () => 'lost',
      lookups: [{ outcome: 'not_found' }, { outcome: 'declined', reference: 'ref_declined', failureType: 'InsufficientFunds' }],
    });
    const args = input();
    const final = await withWorker(
      (taskQueue) =>
        env.client.workflow.execute(paymentWorkflow, { workflowId: paymentWorkflowId(args.paymentId), taskQueue, args: [args] }),
      { gateways: new GatewayRegistry([gateway], 'sandbox') },
    );
    expect(final).toMatchObject({ status: 'failed', failureCode: 'insufficient_funds' });
    expect(gateway.authorizeKeys).toEqual([`${args.paymentId}:authorize`, `${args.paymentId}:authorize`]);
  });

  it('when the customer never authenticates, then after the action timeout the authorization is canceled at the gateway and the payment fails', async () => {
    const gateway = new AnswerLosingGateway({
      authorize: () => ({
        reference: 'ref_3ds',
        capturedMinor: 0,
        status: 'requires_action',
        nextAction: { type: 'redirect_to_url', url: 'https://acs.example/3ds' },
      }),
      lookups: [
        { outcome: 'requires_action', reference: 'ref_3ds', nextAction: { type: 'redirect_to_url', url: 'https://acs.example/3ds' } },
      ],
    });
    const args = input({ captureMethod: 'manual', actionTimeoutMs: 3600_000 });
    const { waiting, final } = await withWorker(
      async (taskQueue) => {
        const handle = await env.client.workflow.start(paymentWorkflow, {
          workflowId: paymentWorkflowId(args.paymentId),
          taskQueue,
          args: [args],
        });
        let state;
        do state = await handle.query(getPaymentStateQuery);
        while (state.status === 'processing');
        return { waiting: state, final: await handle.result() };
      },
      { gateways: new GatewayRegistry([gateway], 'sandbox') },
    );
    expect(waiting).toMatchObject({ status: 'requires_action', nextAction: { type: 'redirect_to_url', url: 'https://acs.example/3ds' } });
    expect(final).toMatchObject({ status: 'failed', failureCode: 'payment_intent_authentication_failure', nextAction: null });
    expect(gateway.voids).toEqual([`${args.paymentId}:void`]);
  });
});
