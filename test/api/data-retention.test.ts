import { describe, expect, it } from 'vitest';
import { randomBase62 } from '../../src/shared/ids';
import { dataRetentionWorkflow } from '../../workflows/data-retention-workflow';
import { keepHistoryWhenRecording } from '../support/recorded-histories';
import { eventually, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';

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

  it("when a report run's file passes its expiry, then the daily run empties it and only it: the download is 410 and the run keeps its result", async () => {
    const merchant = await stack.createMerchant('Retention files');
    const today = new Date().toISOString().slice(0, 10);
    const report = async (caller: TestMerchant) => {
      const created = await stack.request('POST', '/v1/reporting/report_runs', {
        apiKey: caller.apiKey,
        body: { report_type: 'transactions', parameters: { from: today, to: today } },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return eventually(async () => {
        const run = await stack.request('GET', `/v1/reporting/report_runs/${created.body.id}`, { apiKey: caller.apiKey });
        return run.body.status === 'succeeded' ? run.body : undefined;
      }, 60_000);
    };
    const expired = await report(merchant);
    const kept = await report(merchant);
    const download = (run: { result: { url: string } }) => stack.request('GET', run.result.url, { apiKey: merchant.apiKey });
    expect((await download(expired)).status).toBe(200);
    // As if built 31 days ago (its 30 days are over) and 29 days ago.
    await sql(`update files set expires_at = now() - interval '1 day' where id = ?`, [expired.result.id]);
    await sql(`update files set expires_at = now() + interval '1 day' where id = ?`, [kept.result.id]);
    const chunks = async (fileId: string) =>
      (await sql<{ n: number }>(`select count(*)::int as n from file_chunks where file_id = ?`, [fileId]))[0].n;
    expect(await chunks(expired.result.id)).toBeGreaterThan(0);

    const handle = await stack.client.workflow.start(dataRetentionWorkflow, {
      taskQueue: stack.taskQueue,
      workflowId: `data-retention-test-${randomBase62(8)}`,
      args: [{ idempotencyKeyRetentionMs: 7 * DAY, eventRetentionMs: 30 * DAY }],
    });
    const result = await handle.result();
    await keepHistoryWhenRecording(handle, 'data-retention-expired-files');
    expect(result.expiredFilesDeleted).toBeGreaterThanOrEqual(1);
    expect(Date.parse(result.expiredFilesBefore as string)).toBeLessThanOrEqual(Date.now());

    expect(await chunks(expired.result.id)).toBe(0);
    expect(await chunks(kept.result.id)).toBeGreaterThan(0);
    const [{ status }] = await sql<{ status: string }>(`select status from files where id = ?`, [expired.result.id]);
    expect(status).toBe('expired');
    const gone = await download(expired);
    expect([gone.status, gone.body.code]).toEqual([410, 'file_expired']);
    expect((await download(kept)).status).toBe(200);
    // The run still says what it made, and its file's expires_at says why the bytes are gone.
    const after = await stack.request('GET', `/v1/reporting/report_runs/${expired.id}`, { apiKey: merchant.apiKey });
    expect(after.body).toMatchObject({ status: 'succeeded', result: { id: expired.result.id, url: expired.result.url } });
    expect(Date.parse(after.body.result.expires_at)).toBeLessThan(Date.now());
    // No file anywhere in the database is left ready past its expiry.
    const [overdue] = await sql<{ n: number }>(
      `select count(*)::int as n from files where status = 'ready' and expires_at < ?::timestamptz`,
      [result.expiredFilesBefore],
    );
    expect(overdue.n).toBe(0);
  });
});
