import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signGatewayEvent } from '../../src/gateways/gateway-event-signature';
import { eventually, startTestStack, type TestStack } from '../support/test-stack';
import { expectLedgerBalanced, merchantBalances } from '../support/ledger';
import { createPayment, simulateDispute } from '../support/api-calls';

const SANDBOX_SECRET = 'whsec_test_sandbox_secret';
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ env: { SANDBOX_EVENT_SECRET: SANDBOX_SECRET, SANDBOX_DISPUTE_DELAY: '200ms' } });
});
afterAll(async () => stack?.close());

const act = (apiKey: string, path: string, body: unknown = {}) => stack.request('POST', path, { apiKey, body });
async function eventTypes(objectId: string): Promise<string[]> {
  const rows = await stack.orm.em
    .getConnection()
    .execute<{ type: string }[]>(`select type from events where object_id = ? order by created_at, id`, [objectId]);
  return rows.map((row) => row.type);
}

// 100.00 captured with a 3.20 fee: pending holds 96.80 and 3.20 waits in fees payable for the monthly invoice. A dispute takes 100.00 plus the 15.00 fee from available.
const AFTER_CAPTURE = 9_680;

describe('dispute lifecycles', () => {
  it('when the merchant drafts, submits evidence and the network rules for them, then the amount returns and the fee stays charged', async () => {
    const merchant = await stack.createMerchant();
    const payment = await createPayment(stack, merchant, { amount: 100, expectStatus: 'succeeded' });
    const opened = await simulateDispute(stack, merchant, payment.id, { reason: 'product_not_received', raw: true });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({
      object: 'dispute',
      payment_id: payment.id,
      amount: 100,
      fee: 15,
      status: 'needs_response',
      reason: 'product_not_received',
    });
    expect(Date.parse(opened.body.evidence_details.due_by) - Date.parse(opened.body.created_at)).toBeGreaterThanOrEqual(
      7 * 24 * 3600 * 1000 - 1000,
    );
    expect(await merchantBalances(stack.orm, merchant.id)).toEqual({
      pending: AFTER_CAPTURE,
      fees_payable: 320,
      available: -11_500,
      reserve: 10_000,
    });

    const id = opened.body.id;
    const draft = await act(merchant.apiKey, `/v1/disputes/${id}/evidence`, {
      evidence: { product_description: 'Blue mug' },
      submit: false,
    });
    expect(draft.body).toMatchObject({
      status: 'needs_response',
      evidence: { product_description: 'Blue mug' },
      evidence_details: { has_evidence: true, submitted_at: null },
    });
    const submitted = await act(merchant.apiKey, `/v1/disputes/${id}/evidence`, { evidence: { shipping_tracking_number: '1Z999' } });
    expect(submitted.body).toMatchObject({
      status: 'under_review',
      evidence: { product_description: 'Blue mug', shipping_tracking_number: '1Z999' },
    });
    expect(submitted.body.evidence_details.submitted_at).toEqual(expect.any(String));
    const again = await act(merchant.apiKey, `/v1/disputes/${id}/evidence`, { evidence: { receipt: 'r' } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'dispute_unexpected_state', status: 'under_review' });

    const won = await act(merchant.apiKey, `/v1/test_helpers/disputes/${id}/resolve`, { outcome: 'won' });
    expect(won.body).toMatchObject({ status: 'won', closed_reason: 'network_decision' });
    expect(await merchantBalances(stack.orm, merchant.id)).toEqual({
      pending: AFTER_CAPTURE,
      fees_payable: 320,
      available: -1_500,
      reserve: 0,
    });
    expect(await eventTypes(id)).toEqual(['dispute.created', 'dispute.updated', 'dispute.updated', 'dispute.closed']);
    await expectLedgerBalanced(stack.orm);
  });

  it('when the network rules against the merchant, then the debit is final', async () => {
    const merchant = await stack.createMerchant();
    const payment = await createPayment(stack, merchant, { amount: 100, expectStatus: 'succeeded' });
    const opened = await simulateDispute(stack, merchant, payment.id);
    await act(merchant.apiKey, `/v1/disputes/${opened.id}/evidence`, { evidence: { uncategorized_text: 'They used it' } });
    const lost = await act(merchant.apiKey, `/v1/test_helpers/disputes/${opened.id}/resolve`, { outcome: 'lost' });
    expect(lost.body).toMatchObject({ status: 'lost', closed_reason: 'network_decision' });
    expect(await merchantBalances(stack.orm, merchant.id)).toEqual({
      pending: AFTER_CAPTURE,
      fees_payable: 320,
      available: -11_500,
      reserve: 0,
    });
    await expectLedgerBalanced(stack.orm);
  });

  it('when the merchant accepts, then the dispute is lost at once and cannot be answered any more', async () => {
    const merchant = await stack.createMerchant();
    const payment = await createPayment(stack, merchant, { amount: 100, expectStatus: 'succeeded' });
    const opened = await simulateDispute(stack, merchant, payment.id);
    const accepted = await act(merchant.apiKey, `/v1/disputes/${opened.id}/close`);
    expect(accepted.body).toMatchObject({ status: 'lost', closed_reason: 'accepted' });
    expect((await act(merchant.apiKey, `/v1/disputes/${opened.id}/evidence`, { evidence: { receipt: 'x' } })).status).toBe(409);
    expect(await merchantBalances(stack.orm, merchant.id)).toEqual({
      pending: AFTER_CAPTURE,
      fees_payable: 320,
      available: -11_500,
      reserve: 0,
    });
    const listed = await stack.request('GET', '/v1/disputes?status=lost', { apiKey: merchant.apiKey });
    expect(listed.body.data.map((d: { id: string }) => d.id)).toEqual([opened.id]);
    await expectLedgerBalanced(stack.orm);
  });

  it("when a merchant lists disputes by payment_id, then only that payment's disputes come back", async () => {
    const merchant = await stack.createMerchant();
    const first = await createPayment(stack, merchant, { amount: 100, expectStatus: 'succeeded' });
    const second = await createPayment(stack, merchant, { amount: 100, expectStatus: 'succeeded' });
    const firstDispute = await simulateDispute(stack, merchant, first.id, { amount: 30 });
    const secondDispute = await simulateDispute(stack, merchant, first.id, { amount: 20 });
    const otherDispute = await simulateDispute(stack, merchant, second.id);
    const listed = await stack.request('GET', `/v1/disputes?payment_id=${first.id}`, { apiKey: merchant.apiKey });
    expect(listed.body.data.map((d: { id: string }) => d.id)).toEqual([secondDispute.id, firstDispute.id]);
    const open = await stack.request('GET', `/v1/disputes?payment_id=${second.id}&status=needs_response`, { apiKey: merchant.apiKey });
    expect(open.body.data.map((d: { id: string }) => d.id)).toEqual([otherDispute.id]);
    // Another merchant's payment id finds nothing rather than someone else's disputes.
    const stranger = await stack.createMerchant();
    expect((await stack.request('GET', `/v1/disputes?payment_id=${first.id}`, { apiKey: stranger.apiKey })).body.data).toEqual([]);
    expect((await stack.request('GET', `/v1/disputes?payment_id=${'p'.repeat(256)}`, { apiKey: merchant.apiKey })).body).toMatchObject({
      param: 'payment_id',
    });
  });
});

describe('disputes and refunds share what was captured', () => {
  it('when a payment was partly refunded, then a dispute covers at most the rest', async () => {
    const merchant = await stack.createMerchant();
    const payment = await createPayment(stack, merchant, { amount: 100, expectStatus: 'succeeded' });
    await stack.request('POST', '/v1/refunds', { apiKey: merchant.apiKey, body: { payment_id: payment.id, amount: 40 } });
    const opened = await simulateDispute(stack, merchant, payment.id, { amount: 100, raw: true });
    expect(opened.body.amount).toBe(60);
  });

  it('when a payment was fully refunded, then it cannot be disputed', async () => {
    const merchant = await stack.createMerchant();
    const payment = await createPayment(stack, merchant, { amount: 100, expectStatus: 'succeeded' });
    await stack.request('POST', '/v1/refunds', { apiKey: merchant.apiKey, body: { payment_id: payment.id } });
    const response = await simulateDispute(stack, merchant, payment.id, { raw: true });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('payment_not_disputable');
    const rows = await stack.orm.em.getConnection().execute(`select count(*)::int as n from disputes where payment_id = ?`, [payment.id]);
    expect(rows[0].n).toBe(0);
  });

  it('when a payment is disputed in full, then it cannot be refunded until the dispute is won', async () => {
    const merchant = await stack.createMerchant();
    const payment = await createPayment(stack, merchant, { amount: 100, expectStatus: 'succeeded' });
    const opened = await simulateDispute(stack, merchant, payment.id);
    const refused = await stack.request('POST', '/v1/refunds', { apiKey: merchant.apiKey, body: { payment_id: payment.id } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('Invalid refund amount');
    await act(merchant.apiKey, `/v1/test_helpers/disputes/${opened.id}/resolve`, { outcome: 'won' });
    const refunded = await stack.request('POST', '/v1/refunds', { apiKey: merchant.apiKey, body: { payment_id: payment.id } });
    expect(refunded.body).toMatchObject({ status: 'succeeded', amount: 100 });
  });
});

describe('how disputes arrive', () => {
  it('when a payment is made with tok_createDispute, then the network disputes it shortly after it succeeds', async () => {
    const merchant = await stack.createMerchant();
    const payment = await createPayment(stack, merchant, { amount: 30, source: 'tok_createDispute', expectStatus: 'succeeded' });
    const disputes = await eventually(
      async () => {
        const list = await stack.request('GET', '/v1/disputes', { apiKey: merchant.apiKey });
        return list.body.data.length > 0 ? list.body.data : undefined;
      },
      20_000,
      200,
    );
    expect(disputes).toHaveLength(1);
    expect(disputes[0]).toMatchObject({ payment_id: payment.id, amount: 30, status: 'needs_response', reason: 'fraudulent' });
  });

  it('when the gateway posts a signed event twice, then one dispute is opened; a bad signature or unknown gateway is refused', async () => {
    const merchant = await stack.createMerchant();
    const payment = await createPayment(stack, merchant, { amount: 50, expectStatus: 'succeeded' });
    const [charge] = await stack.orm.em
      .getConnection()
      .execute<{ gateway_reference: string }[]>(`select gateway_reference from payments where id = ?`, [payment.id]);
    const body = JSON.stringify({
      id: 'nev_1',
      type: 'dispute.created',
      data: {
        charge: charge.gateway_reference,
        amount_minor: 5_000,
        currency: 'USD',
        reason: 'duplicate',
        dispute: `ndp_http_${payment.id}`,
      },
    });
    const post = (signature: string, gateway = 'sandbox') =>
      stack.request('POST', `/v1/gateway_events/${gateway}`, { rawBody: body, headers: { 'gateway-signature': signature } });

    expect((await post(signGatewayEvent('wrong_secret', body))).status).toBe(400);
    expect((await post(signGatewayEvent(SANDBOX_SECRET, body, Math.floor(Date.now() / 1000) - 3600))).body.code).toBe('invalid_signature');
    expect((await post(signGatewayEvent(SANDBOX_SECRET, body), 'acme')).status).toBe(404);
    const first = await post(signGatewayEvent(SANDBOX_SECRET, body));
    const second = await post(signGatewayEvent(SANDBOX_SECRET, body));
    expect(first.status).toBe(200);
    expect(second.body.dispute.id).toBe(first.body.dispute.id);
    const rows = await stack.orm.em.getConnection().execute(`select count(*)::int as n from disputes where payment_id = ?`, [payment.id]);
    expect(rows[0].n).toBe(1);
    const entries = await stack.orm.em
      .getConnection()
      .execute(`select count(*)::int as n from ledger_entries where source_id = ?`, [first.body.dispute.id]);
    expect(entries[0].n).toBe(1);
  });

  it('when another merchant touches a dispute, then 404; ops find disputes by status in Temporal', async () => {
    const merchant = await stack.createMerchant();
    const other = await stack.createMerchant();
    const payment = await createPayment(stack, merchant, { amount: 20, expectStatus: 'succeeded' });
    const opened = await simulateDispute(stack, merchant, payment.id);
    expect((await stack.request('GET', `/v1/disputes/${opened.id}`, { apiKey: other.apiKey })).status).toBe(404);
    expect((await act(other.apiKey, `/v1/disputes/${opened.id}/close`)).status).toBe(404);
    expect((await act(other.apiKey, `/v1/test_helpers/disputes/${opened.id}/resolve`, { outcome: 'won' })).status).toBe(404);
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const wf of stack.client.workflow.list({ query: `MerchantId = '${merchant.id}' AND DisputeStatus = 'needs_response'` }))
          ids.push(wf.workflowId);
        return ids.length > 0 ? ids : undefined;
      },
      15_000,
      200,
    );
    expect(found).toEqual([`dispute-${opened.id}`]);
    const state = await stack.client.workflow.getHandle(`dispute-${opened.id}`).query('getDisputeState');
    expect(state).toMatchObject({ status: 'needs_response', amountMinor: 2_000, feeMinor: 1_500 });
  });
});
