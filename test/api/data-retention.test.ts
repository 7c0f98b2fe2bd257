import { describe, expect, it } from 'vitest';
import { randomBase62 } from '../../src/shared/ids';
import { dataRetentionWorkflow } from '../../workflows/data-retention-workflow';
import { useTestStack, type TestStack } from '../support/test-stack';

let stack: TestStack;
useTestStack((started) => ({ stack } = started));

const DAY = 86_400_000;
const sql = <T = any>(text: string, params: unknown[] = []): Promise<T[]> => stack.orm.em.getConnection().execute(text, params);

describe('data retention', () => {
  it('when Idempotency-Keys pass their retention, then the daily run deletes them and only them, and a retry after that makes a new object', async () => {
    const merchant = await stack.createMerchant('Retention');
    const create = (key: string) =>
      stack.request('POST', '/v1/customers', {
        apiKey: merchant.apiKey,
        headers: { 'Idempotency-Key': key },
        body: { email: 'jo@example.com', source: 'tok_visa' },
      });
    const expired = await create('old-key');
    const kept = await create('recent-key');
    expect([expired.status, kept.status], JSON.stringify(expired.body)).toEqual([201, 201]);
    // As if recorded eight days and six days ago.
    await sql(`update idempotency_keys set created_at = now() - interval '8 days' where merchant_id = ? and key = 'old-key'`, [
      merchant.id,
    ]);
    await sql(`update idempotency_keys set created_at = now() - interval '6 days' where merchant_id = ? and key = 'recent-key'`, [
      merchant.id,
    ]);

    const result = await stack.client.workflow.execute(dataRetentionWorkflow, {
      taskQueue: stack.taskQueue,
      workflowId: `data-retention-test-${randomBase62(8)}`,
      args: [{ idempotencyKeyRetentionMs: 7 * DAY }],
    });
    expect(result.idempotencyKeysDeleted).toBeGreaterThanOrEqual(1);
    // A schedule written before EVENT_RETENTION existed passes no event retention: events are left alone.
    expect(result.eventsDeleted).toBeUndefined();
    const keys = await sql<{ key: string }>(`select key from idempotency_keys where merchant_id = ? order by key`, [merchant.id]);
    expect(keys.map((row) => row.key)).toEqual(['recent-key']);
    // Nothing younger than the cut-off anywhere was touched.
    const [young] = await sql<{ n: number }>(`select count(*)::int as n from idempotency_keys where created_at < ?::timestamptz`, [
      result.idempotencyKeysBefore,
    ]);
    expect(young.n).toBe(0);

    const retriedKept = await create('recent-key');
    expect(retriedKept.body.id).toBe(kept.body.id);
    const retriedExpired = await create('old-key');
    expect(retriedExpired.status).toBe(201);
    expect(retriedExpired.body.id).not.toBe(expired.body.id);
  });
});
