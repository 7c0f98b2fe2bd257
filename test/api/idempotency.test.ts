import { describe, expect, it } from 'vitest';
import { useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { sandboxOperationCount } from '../support/sandbox-gateway';
import { paymentWorkflowId } from '../../src/payments/payment-state';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started));

const body = { amount: 42.0, currency: 'USD', source: 'tok_visa', description: 'order 7' };
const create = (key: string, payload: unknown = body, apiKey = merchant.apiKey) =>
  stack.request('POST', '/v1/payments', { apiKey, body: payload, headers: { 'Idempotency-Key': key } });

describe('Idempotency-Key', () => {
  it('when a request is repeated with the same key and body, then the same payment comes back and nothing is charged twice', async () => {
    const first = await create('order-7-attempt');
    const second = await create('order-7-attempt', { ...body, amount: '42.00' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(await sandboxOperationCount(stack.orm, first.body.id)).toBe(1);
  });

  it('when 20 identical requests arrive at once, then one workflow, one charge and one ledger entry exist, and all 20 see the same payment', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => create('burst-key-1')));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    const ids = new Set(responses.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const [paymentId] = ids;
    expect(new Set(responses.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(await sandboxOperationCount(stack.orm, paymentId)).toBe(1);
    const entries = await stack.orm.em
      .getConnection()
      .execute(`select count(*)::int as n from ledger_entries where source_id = ?`, [paymentId]);
    expect(entries[0].n).toBe(1);
    const workflows = [];
    for await (const execution of stack.client.workflow.list({ query: `WorkflowId = '${paymentWorkflowId(paymentId)}'` }))
      workflows.push(execution);
    expect(workflows).toHaveLength(1);
  });

  it('when a key is reused with a different body, then 422 idempotency_key_reused and no second payment', async () => {
    const first = await create('order-8');
    const reused = await create('order-8', { ...body, amount: 43 });
    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ code: 'idempotency_key_reused', param: 'Idempotency-Key' });
    const list = await stack.request('GET', '/v1/payments?limit=100', { apiKey: merchant.apiKey });
    expect(list.body.data.filter((p: { description: string }) => p.description === 'order 7').map((p: { id: string }) => p.id)).toContain(
      first.body.id,
    );
  });

  it('when two merchants use the same key, then each gets its own payment', async () => {
    const other = await stack.createMerchant('Other');
    const mine = await create('shared-key');
    const theirs = await create('shared-key', body, other.apiKey);
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('when the key is too long or not printable, then 400 names Idempotency-Key', async () => {
    const response = await create('x'.repeat(256));
    expect(response.status).toBe(400);
    expect(response.body.param).toBe('Idempotency-Key');
  });
});
