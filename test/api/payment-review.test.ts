import { describe, expect, it } from 'vitest';
import { paymentWorkflowId } from '../../src/payments/payment-state';
import { PaymentStatusKey } from '../../src/temporal/search-attributes';
import { eventually, TEST_ADMIN_KEY, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { createPayment, getPayment } from '../support/api-calls';
import { sandboxOperationCount } from '../support/sandbox-gateway';

let stack: TestStack;
let merchant: TestMerchant;
// Payments above 1,000.00 are held for review in this file; the sync wait stays at its 5 s default.
useTestStack((started) => ({ stack, merchant } = started), { env: { FRAUD_REVIEW_AMOUNT_MINOR: '100000' } });

const review = (id: string, body: unknown, apiKey = TEST_ADMIN_KEY) => stack.request('POST', `/v1/payments/${id}/review`, { apiKey, body });

describe('manual review of risky payments', () => {
  it('when the gateway rates the source elevated risk, then POST /v1/payments answers 201 requires_review at once, without charging', async () => {
    const started = Date.now();
    const response = await createPayment(stack, merchant, { amount: 42, source: 'tok_risk_elevated', raw: true });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ status: 'requires_review', amount_received: 0, failure_code: null });
    // Far below the 5 s synchronous wait: requires_review is a decision, not "still processing".
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(await sandboxOperationCount(stack.orm, response.body.id)).toBe(0);
    // The workflow publishes the status to its search attributes right after storing it.
    const handle = stack.client.workflow.getHandle(paymentWorkflowId(response.body.id));
    await eventually(
      async () => ((await handle.describe()).typedSearchAttributes.get(PaymentStatusKey) === 'requires_review' ? true : undefined),
      5_000,
    );
  });

  it('when ops approve with the admin key, then the payment is charged once and succeeds', async () => {
    const held = await createPayment(stack, merchant, { source: 'tok_risk_elevated', amount: 10 });
    const approved = await review(held.id, { decision: 'approve', note: 'known customer' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ id: held.id, status: 'succeeded', amount_received: 10 });
    expect((await getPayment(stack, merchant, held.id)).status).toBe('succeeded');
    expect(await sandboxOperationCount(stack.orm, held.id)).toBe(1);
  });

  it('when ops decline, then the payment fails with review_declined and the card is never charged', async () => {
    const held = await createPayment(stack, merchant, { amount: 42, source: 'tok_risk_elevated' });
    const declined = await review(held.id, { decision: 'decline' });
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ status: 'failed', failure_code: 'review_declined' });
    expect(await sandboxOperationCount(stack.orm, held.id)).toBe(0);
  });

  it('when the amount is above FRAUD_REVIEW_AMOUNT_MINOR, then a low-risk payment is held too; at the threshold it is not', async () => {
    expect((await createPayment(stack, merchant, { amount: 1000.01 })).status).toBe('requires_review');
    expect((await createPayment(stack, merchant, { amount: 1000 })).status).toBe('succeeded');
  });

  it("when the merchant's own key is used, then the review is refused with 401 and the payment stays held", async () => {
    const held = await createPayment(stack, merchant, { amount: 42, source: 'tok_risk_elevated' });
    const response = await review(held.id, { decision: 'approve' }, merchant.apiKey);
    expect(response.status).toBe(401);
    expect((await getPayment(stack, merchant, held.id)).status).toBe('requires_review');
  });

  it('when the payment is not held for review, then 409 payment_unexpected_state with its status', async () => {
    const paid = await createPayment(stack, merchant, { amount: 42 });
    const response = await review(paid.id, { decision: 'approve' });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ code: 'payment_unexpected_state', status: 'succeeded' });
    expect(await sandboxOperationCount(stack.orm, paid.id)).toBe(1);
  });

  it('when a payment is decided twice, then the second decision is 409', async () => {
    const held = await createPayment(stack, merchant, { amount: 42, source: 'tok_risk_elevated' });
    expect((await review(held.id, { decision: 'decline' })).status).toBe(200);
    const again = await review(held.id, { decision: 'approve' });
    expect(again.status).toBe(409);
    expect(await sandboxOperationCount(stack.orm, held.id)).toBe(0);
  });

  it('when the decision is not approve or decline, then 400 naming decision; an unknown payment is 404', async () => {
    const held = await createPayment(stack, merchant, { amount: 42, source: 'tok_risk_elevated' });
    const bad = await review(held.id, { decision: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ param: 'decision' });
    const missing = await review(held.id, {});
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ param: 'decision' });
    expect((await review('pay_doesnotexist', { decision: 'approve' })).status).toBe(404);
  });
});
