import { describe, expect, it } from 'vitest';
import { paymentWorkflowId } from '../../src/payments/payment-state';
import { allRoutes, routeName, validBodies, type MerchantObjects } from '../support/route-fixtures';
import { eventually, TEST_ADMIN_KEY, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { createPayment } from '../support/api-calls';

// Captures, cancels, reviews, dispute and subscription changes take an Idempotency-Key: a repeat gets
// the first outcome (as a retry after a lost answer must), never a second effect, never a 409 about itself.
let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started), {
  env: { FRAUD_REVIEW_AMOUNT_MINOR: '100000', SANDBOX_EVENT_SECRET: 'whsec_test_sandbox_secret', SANDBOX_DISPUTE_DELAY: '200ms' },
});

const keyed = (method: string, path: string, key: string | undefined, body: unknown = {}, apiKey = merchant.apiKey) =>
  stack.request(method, path, { apiKey, body, headers: key ? { 'Idempotency-Key': key } : {} });
/** An authorization of 80.00, awaiting capture. */
const AUTHORIZATION = { amount: 80, capture: false, expectStatus: 'requires_capture' } as const;
const gatewayOperations = async (paymentId: string) =>
  stack.orm.em
    .getConnection()
    .execute<{ operation: string; amount_minor: string }[]>(
      `select operation, amount_minor from sandbox_gateway_operations where idempotency_key like ? order by created_at`,
      [`${paymentId}:%`],
    );
const captureEntries = async (paymentId: string) =>
  (await stack.orm.em.getConnection().execute(`select count(*)::int as n from ledger_entries where source_id = ?`, [paymentId]))[0].n;

describe('an Idempotency-Key on a capture', () => {
  it('when a keyed capture is sent again after it succeeded (the workflow has closed), then the same 200 comes back, not a 409, and the card is captured once', async () => {
    const payment = await createPayment(stack, merchant, AUTHORIZATION);
    const first = await keyed('POST', `/v1/payments/${payment.id}/capture`, 'capture-once', { amount: 30 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'succeeded', amount_received: 30 });
    await eventually(async () =>
      (await stack.client.workflow.getHandle(paymentWorkflowId(payment.id)).describe()).status.name === 'COMPLETED' ? true : undefined,
    );

    const again = await keyed('POST', `/v1/payments/${payment.id}/capture`, 'capture-once', { amount: 30 });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    // Without the key the same request is judged afresh: the payment is no longer awaiting capture.
    const keyless = await keyed('POST', `/v1/payments/${payment.id}/capture`, undefined, { amount: 30 });
    expect(keyless.status).toBe(409);
    expect(await gatewayOperations(payment.id)).toEqual([
      { operation: 'authorize', amount_minor: '8000' },
      { operation: 'capture', amount_minor: '3000' },
    ]);
    expect(await captureEntries(payment.id)).toBe(1);
  });

  it('when 10 copies of a keyed capture race, then each answers 200 with the same payment and one capture is made', async () => {
    const payment = await createPayment(stack, merchant, AUTHORIZATION);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => keyed('POST', `/v1/payments/${payment.id}/capture`, 'capture-race', {})),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(new Set(answers.map((answer) => JSON.stringify(answer.body))).size).toBe(1);
    expect(answers[0].body).toMatchObject({ status: 'succeeded', amount_received: 80 });
    expect((await gatewayOperations(payment.id)).map((row) => row.operation)).toEqual(['authorize', 'capture']);
    expect(await captureEntries(payment.id)).toBe(1);
  });

  it("when a key is reused with another amount, or a create's key is reused for a capture, then 422 names Idempotency-Key and nothing is captured", async () => {
    const payment = await createPayment(stack, merchant, AUTHORIZATION);
    expect((await keyed('POST', `/v1/payments/${payment.id}/capture`, 'capture-reused', { amount: 10 })).status).toBe(200);
    const other = await createPayment(stack, merchant, AUTHORIZATION);
    const reusedElsewhere = await keyed('POST', `/v1/payments/${other.id}/capture`, 'capture-reused', { amount: 10 });
    expect(reusedElsewhere.status).toBe(422);
    expect(reusedElsewhere.body).toMatchObject({ code: 'idempotency_key_reused', param: 'Idempotency-Key' });
    const reusedAmount = await keyed('POST', `/v1/payments/${payment.id}/capture`, 'capture-reused', { amount: 20 });
    expect(reusedAmount.status).toBe(422);

    const created = await keyed('POST', '/v1/payments', 'create-then-capture', {
      amount: 5,
      currency: 'USD',
      source: 'tok_visa',
      capture: false,
    });
    const captureWithCreateKey = await keyed('POST', `/v1/payments/${created.body.id}/capture`, 'create-then-capture', {});
    expect(captureWithCreateKey.status).toBe(422);
    expect((await gatewayOperations(other.id)).map((row) => row.operation)).toEqual(['authorize']);
    expect((await gatewayOperations(created.body.id)).map((row) => row.operation)).toEqual(['authorize']);
  });

  it('when a keyed capture is refused (no such payment), then the key is not kept and serves the next request', async () => {
    const missing = await keyed('POST', '/v1/payments/pay_doesnotexist0000000/capture', 'capture-refused', {});
    expect(missing.status).toBe(404);
    expect(
      (
        await stack.orm.em
          .getConnection()
          .execute(`select count(*)::int as n from idempotency_keys where merchant_id = ? and key = 'capture-refused'`, [merchant.id])
      )[0].n,
    ).toBe(0);
    const payment = await createPayment(stack, merchant, AUTHORIZATION);
    expect((await keyed('POST', `/v1/payments/${payment.id}/capture`, 'capture-refused', {})).status).toBe(200);
  });

  it('when the key is not printable ASCII or too long, then 400 names Idempotency-Key and the payment still awaits capture', async () => {
    const payment = await createPayment(stack, merchant, AUTHORIZATION);
    const response = await keyed('POST', `/v1/payments/${payment.id}/capture`, 'x'.repeat(256), {});
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'parameter_invalid', param: 'Idempotency-Key' });
    expect((await stack.request('GET', `/v1/payments/${payment.id}`, { apiKey: merchant.apiKey })).body.status).toBe('requires_capture');
  });
});

describe('an Idempotency-Key on other actions', () => {
  it('when a keyed cancel is repeated, then both answer the canceled payment and the authorization is voided once', async () => {
    const payment = await createPayment(stack, merchant, AUTHORIZATION);
    const first = await keyed('POST', `/v1/payments/${payment.id}/cancel`, 'cancel-once', { cancellation_reason: 'abandoned' });
    const again = await keyed('POST', `/v1/payments/${payment.id}/cancel`, 'cancel-once', { cancellation_reason: 'abandoned' });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body).toEqual(first.body);
    expect(first.body.status).toBe('canceled');
    expect((await gatewayOperations(payment.id)).map((row) => row.operation)).toEqual(['authorize', 'void']);
  });

  it('when ops repeat a keyed approval, then both answer the succeeded payment and the card is charged once; the same key with a decline is not taken as that approval', async () => {
    const held = (await keyed('POST', '/v1/payments', undefined, { amount: 10, currency: 'USD', source: 'tok_risk_elevated' })).body;
    expect(held.status).toBe('requires_review');
    const approve = () => keyed('POST', `/v1/payments/${held.id}/review`, 'review-once', { decision: 'approve' }, TEST_ADMIN_KEY);
    const [first, again] = [await approve(), await approve()];
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body).toEqual(first.body);
    expect(first.body.status).toBe('succeeded');
    const decline = await keyed('POST', `/v1/payments/${held.id}/review`, 'review-once', { decision: 'decline' }, TEST_ADMIN_KEY);
    expect(decline.status).toBe(409);
    expect((await gatewayOperations(held.id)).map((row) => row.operation)).toEqual(['authorize']);
  });

  it('when a keyed dispute close is repeated, then both answer the lost dispute; without the key the repeat is a 409', async () => {
    const payment = (await keyed('POST', '/v1/payments', undefined, { amount: 50, currency: 'USD', source: 'tok_visa' })).body;
    const opened = await keyed('POST', `/v1/test_helpers/payments/${payment.id}/dispute`, undefined, {});
    expect(opened.status).toBe(201);
    const entriesFor = async () =>
      (await stack.orm.em.getConnection().execute(`select count(*)::int as n from ledger_entries where source_id = ?`, [opened.body.id]))[0]
        .n;
    const first = await keyed('POST', `/v1/disputes/${opened.body.id}/close`, 'close-once');
    const entriesAfterClose = await entriesFor();
    const again = await keyed('POST', `/v1/disputes/${opened.body.id}/close`, 'close-once');
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body).toEqual(first.body);
    expect(first.body.status).toBe('lost');
    const keyless = await keyed('POST', `/v1/disputes/${opened.body.id}/close`, undefined);
    expect(keyless.status).toBe(409);
    expect(await entriesFor()).toBe(entriesAfterClose);
  });

  it('the OpenAPI document lists the Idempotency-Key and its 422 on every capture, cancel, review, dispute and subscription change', async () => {
    const document = (await stack.request('GET', '/openapi.json')).body;
    const operations = Object.values(document.paths as Record<string, Record<string, any>>).flatMap((methods) => Object.values(methods));
    const keyedIds = operations
      .filter((operation) => operation.parameters.some((parameter: any) => parameter.name === 'Idempotency-Key'))
      .map((operation) => operation.operationId)
      .sort();
    expect(keyedIds).toEqual([
      'cancelPayment',
      'cancelPayout',
      'cancelSubscription',
      'capturePayment',
      'closeDispute',
      'createBankAccount',
      'createCheckoutSession',
      'createCustomer',
      'createGatewayAccount',
      'createPayment',
      'createPayout',
      'createPlan',
      'createReconciliation',
      'createRefund',
      'createReportRun',
      'createSubscription',
      'expireCheckoutSession',
      'pauseSubscription',
      'putRouting',
      'resumeSubscription',
      'reviewPayment',
      'submitDisputeEvidence',
      'updateSubscription',
    ]);
    for (const operation of operations.filter((candidate) => keyedIds.includes(candidate.operationId)))
      expect(Object.keys(operation.responses)).toContain('422');
  });
});

describe('concurrent retries of a keyed action that is refused', () => {
  // Every keyed action on an existing object; the bodies name no object, so stand-ins will do.
  const keyedActions = allRoutes().filter((route) => route.idempotent === 'update');
  const bodies = validBodies(new Proxy({}, { get: () => 'unused' }) as unknown as MerchantObjects);

  it('lists the keyed actions of every kind', () => {
    expect(keyedActions.map(routeName).sort()).toEqual([
      'PATCH /v1/subscriptions/:id',
      'POST /v1/checkout_sessions/:id/expire',
      'POST /v1/disputes/:id/close',
      'POST /v1/disputes/:id/evidence',
      'POST /v1/payments/:id/cancel',
      'POST /v1/payments/:id/capture',
      'POST /v1/payments/:id/review',
      'POST /v1/payouts/:id/cancel',
      'POST /v1/subscriptions/:id/cancel',
      'POST /v1/subscriptions/:id/pause',
      'POST /v1/subscriptions/:id/resume',
    ]);
  });

  it.each(keyedActions.map((route) => [routeName(route), route] as const))(
    'when 8 copies of %s on an unknown object race with one key, round after round, then every one answers 404 and none 5xx',
    async (name, route) => {
      // A merchant of its own, so the file's earlier requests leave this one's rate limit whole.
      const racer = await stack.createMerchant(`Racer ${name}`);
      const apiKey = route.auth === 'admin' ? TEST_ADMIN_KEY : racer.apiKey;
      // The first refusal gives its key back while copies are between their claim and their read of it.
      for (let round = 0; round < 6; round += 1) {
        const path = route.path.replace(':id', `unknown_${round}_${Math.random().toString(36).slice(2, 10)}`);
        const key = `race-${name.replace(/\W+/g, '-')}-${round}-${Math.random().toString(36).slice(2, 8)}`;
        const answers = await Promise.all(
          Array.from({ length: 8 }, () => keyed(route.method.toUpperCase(), path, key, bodies[name] ?? {}, apiKey)),
        );
        expect(answers.map((answer) => `${answer.status} ${answer.body?.code ?? ''}`)).toEqual(
          Array(8).fill(`404 ${answers[0].body?.code}`),
        );
        expect(answers[0].body.code).toMatch(/not_found|resource_missing/);
      }
      // Nothing is left holding the key: each refusal gave it back.
      const [{ n }] = await stack.orm.em
        .getConnection()
        .execute<{ n: number }[]>("select count(*)::int as n from idempotency_keys where merchant_id = ? and key like 'race-%'", [
          racer.id,
        ]);
      expect(n).toBe(0);
    },
  );
});
