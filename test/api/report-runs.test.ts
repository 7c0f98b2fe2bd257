import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type Worker } from '@temporalio/worker';
import { createReportRunActivities, FILE_CHUNK_BYTES } from '../../activities/report-run-activities';
import { inTransaction } from '../../src/db/sql';
import { FileRepository } from '../../src/report-runs/file-repository';
import { ReportRunRepository } from '../../src/report-runs/report-run-repository';
import { reportRunWorkflowId, type BuiltReportFile, type ReportRunWorkflowInput } from '../../src/report-runs/report-run-state';
import { resolveReportRange } from '../../src/reports/report-range';
import { randomBase62 } from '../../src/shared/ids';
import { connectTemporalWorker } from '../../src/temporal/connection';
import { createPaymentWorker } from '../../src/temporal/create-worker';
import { createPayment, createRefund } from '../support/api-calls';
import { eventually, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { keepHistoryWhenRecording } from '../support/recorded-histories';
import { insertBulkPayments } from '../support/bulk-payments';
import { liveMemory } from '../support/live-memory';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started));

const DAY_MS = 86_400_000;

/** A UTC day relative to today, as YYYY-MM-DD. */
function day(offset: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offset)).toISOString().slice(0, 10);
}

const createRun = (body: unknown, caller: TestMerchant = merchant, headers: Record<string, string> = {}) =>
  stack.request('POST', '/v1/reporting/report_runs', { apiKey: caller.apiKey, body, headers });

/** Polls the run until it is no longer pending. */
async function decided(id: string, caller: TestMerchant = merchant): Promise<any> {
  return eventually(async () => {
    const response = await stack.request('GET', `/v1/reporting/report_runs/${id}`, { apiKey: caller.apiKey });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body.status === 'pending' ? undefined : response.body;
  }, 60_000);
}

/** A raw GET: the bytes exactly as sent, and the headers. */
async function rawGet(url: string, caller: TestMerchant = merchant): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const response = await fetch(`${stack.baseUrl}${url}`, { headers: { authorization: `Bearer ${caller.apiKey}` } });
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()), headers: response.headers };
}

const runRows = async (merchantId: string): Promise<number> => {
  const [row] = await stack.orm.em.getConnection().execute('select count(*) as count from report_runs where merchant_id = ?', [merchantId]);
  return Number(row.count);
};

const recordHistory = (workflowId: string, name: string) => keepHistoryWhenRecording(stack.client.workflow.getHandle(workflowId), name);

describe('POST /v1/reporting/report_runs', () => {
  beforeAll(async () => {
    await createPayment(stack, merchant, {
      amount: '100.00',
      currency: 'USD',
      source: 'tok_visa',
      description: '=HYPERLINK("https://evil.example","click"), line one\nline two',
    });
    await createPayment(stack, merchant, { amount: 25, currency: 'USD', source: 'tok_chargeDeclined' });
    const refunded = await createPayment(stack, merchant, {
      amount: 50,
      currency: 'USD',
      source: 'tok_visa',
      description: 'Refunded, in "full"',
    });
    await createRefund(stack, merchant, refunded.id);
    await createPayment(stack, merchant, { amount: 500, currency: 'JPY', source: 'tok_visa', description: 'ünïcödé ✓' });
  });

  it.each(['csv', 'json'] as const)(
    'when a %s run is made, then it answers pending at once, succeeds, and its file is byte for byte the synchronous report',
    async (format) => {
      const parameters = { from: day(-2), to: day(0), ...(format === 'json' ? { format } : {}) };
      const created = await createRun({ report_type: 'transactions', parameters });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({
        object: 'reporting.report_run',
        report_type: 'transactions',
        parameters: { from: day(-2), to: day(0), format },
        status: 'pending',
        error: null,
        result: null,
        livemode: false,
        succeeded_at: null,
      });
      expect(created.body.id).toMatch(/^frr_/);

      const run = await decided(created.body.id);
      expect(run.status).toBe('succeeded');
      const synchronous = await rawGet(`/v1/reports/transactions?from=${day(-2)}&to=${day(0)}&format=${format}`);
      expect(synchronous.status).toBe(200);
      const file = run.result;
      expect(file).toMatchObject({
        object: 'file',
        purpose: 'report_run',
        filename: `transactions_${day(-2)}_${day(0)}.${format}`,
        type: format,
        size: synchronous.bytes.length,
        url: `/v1/files/${file.id}/contents`,
      });
      expect(file.id).toMatch(/^file_/);
      expect(new Date(file.expires_at).getTime() - new Date(file.created_at).getTime()).toBe(30 * DAY_MS);
      expect(run.succeeded_at).not.toBeNull();

      const download = await rawGet(file.url);
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe(synchronous.headers.get('content-type'));
      expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${file.filename}"`);
      if (format === 'csv') expect(download.headers.get('content-disposition')).toBe(synchronous.headers.get('content-disposition'));
      expect(download.bytes.equals(synchronous.bytes), download.bytes.toString('utf8')).toBe(true);
      // The report holds the merchant's four payments (and a formula neutralized, as the synchronous one does).
      if (format === 'json') expect(JSON.parse(download.bytes.toString('utf8')).data).toHaveLength(4);
      else expect(download.bytes.toString('utf8')).toContain(`"'=HYPERLINK(`);
      await recordHistory(reportRunWorkflowId(run.id), `report-run-succeeded-${format}`);
    },
  );

  it('when a run succeeds, then reporting.report_run.succeeded is recorded once with the run and its file', async () => {
    const created = await createRun({ report_type: 'transactions', parameters: { from: day(-1), to: day(0) } });
    const run = await decided(created.body.id);
    const events = await stack.request('GET', '/v1/events?type=reporting.report_run.succeeded&limit=100', { apiKey: merchant.apiKey });
    expect(events.status).toBe(200);
    const mine = events.body.data.filter((event: any) => event.data.object.id === run.id);
    expect(mine).toHaveLength(1);
    expect(mine[0].data.object).toMatchObject({ id: run.id, status: 'succeeded', result: { id: run.result.id, size: run.result.size } });
  });

  it('when the same Idempotency-Key is sent twice, then one run and one workflow; with another body, 422 and nothing more', async () => {
    const caller = await stack.createMerchant('Idempotent report runs');
    const key = `report-${randomBase62(8)}`;
    const body = { report_type: 'transactions', parameters: { from: day(-3), to: day(0), format: 'csv' } };
    const first = await createRun(body, caller, { 'Idempotency-Key': key });
    // format is csv by default: the same request.
    const second = await createRun({ report_type: 'transactions', parameters: { from: day(-3), to: day(0) } }, caller, {
      'Idempotency-Key': key,
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(await runRows(caller.id)).toBe(1);
    const other = await createRun({ report_type: 'transactions', parameters: { from: day(-4), to: day(0) } }, caller, {
      'Idempotency-Key': key,
    });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
    expect(await runRows(caller.id)).toBe(1);
    await decided(first.body.id, caller);
    const workflows = await eventually(async () => {
      const found = [];
      for await (const workflow of stack.client.workflow.list({
        query: `WorkflowType = 'reportRunWorkflow' AND MerchantId = '${caller.id}'`,
      }))
        found.push(workflow.workflowId);
      return found.length > 0 ? found : undefined;
    });
    expect(workflows).toEqual([reportRunWorkflowId(first.body.id)]);
    // A retry after the run finished answers the same run, finished.
    const late = await createRun(body, caller, { 'Idempotency-Key': key });
    expect(late.status).toBe(201);
    expect(late.body).toMatchObject({ id: first.body.id, status: 'succeeded' });
  });

  it.each<[string, unknown, string, string]>([
    ['parameters is missing', { report_type: 'transactions' }, 'parameters', 'parameter_missing'],
    ['report_type is missing', { parameters: { from: day(-1), to: day(0) } }, 'report_type', 'parameter_missing'],
    ['report_type is unknown', { report_type: 'balances', parameters: { from: day(-1), to: day(0) } }, 'report_type', 'parameter_invalid'],
    ['from is missing', { report_type: 'transactions', parameters: { to: day(0) } }, 'parameters[from]', 'parameter_missing'],
    ['to is missing', { report_type: 'transactions', parameters: { from: day(-1) } }, 'parameters[to]', 'parameter_missing'],
    [
      'from is not a date',
      { report_type: 'transactions', parameters: { from: 'yesterday', to: day(0) } },
      'parameters[from]',
      'parameter_invalid',
    ],
    ['to is in the future', { report_type: 'transactions', parameters: { from: day(-1), to: day(2) } }, 'parameters[to]', 'date_in_future'],
    [
      'from is after to',
      { report_type: 'transactions', parameters: { from: day(0), to: day(-1) } },
      'parameters[from]',
      'date_range_invalid',
    ],
    [
      'the period is over 90 days',
      { report_type: 'transactions', parameters: { from: day(-91), to: day(0) } },
      'parameters[to]',
      'date_range_too_long',
    ],
    [
      'format is xml',
      { report_type: 'transactions', parameters: { from: day(-1), to: day(0), format: 'xml' } },
      'parameters[format]',
      'parameter_invalid',
    ],
    [
      'parameters has an unknown field',
      { report_type: 'transactions', parameters: { from: day(-1), to: day(0), columns: 'id' } },
      'parameters[columns]',
      'parameter_unknown',
    ],
    [
      'the body has an unknown field',
      { report_type: 'transactions', parameters: { from: day(-1), to: day(0) }, status: 'succeeded' },
      'status',
      'parameter_unknown',
    ],
  ])('when %s, then 400 names %s, and no run or workflow is made', async (_case, body, param, code) => {
    const caller = await stack.createMerchant('Refused report runs');
    const response = await createRun(body, caller, { 'Idempotency-Key': `bad-${randomBase62(8)}` });
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.body).toMatchObject({ param, code });
    expect(await runRows(caller.id)).toBe(0);
    const list = await stack.request('GET', '/v1/reporting/report_runs', { apiKey: caller.apiKey });
    expect(list.body.data).toEqual([]);
  });

  it("when another merchant asks for a run or its file, then 404, and the run is not in the other merchant's list", async () => {
    const created = await createRun({ report_type: 'transactions', parameters: { from: day(-1), to: day(0) } });
    const run = await decided(created.body.id);
    const other = await stack.createMerchant('Someone else');
    const foreignRun = await stack.request('GET', `/v1/reporting/report_runs/${run.id}`, { apiKey: other.apiKey });
    expect(foreignRun.status).toBe(404);
    expect(foreignRun.body.code).toBe('resource_missing');
    const foreignFile = await rawGet(run.result.url, other);
    expect(foreignFile.status).toBe(404);
    expect(JSON.parse(foreignFile.bytes.toString('utf8')).code).toBe('resource_missing');
    expect((await stack.request('GET', '/v1/reporting/report_runs', { apiKey: other.apiKey })).body.data).toEqual([]);
    expect((await rawGet('/v1/files/file_doesnotexist/contents')).status).toBe(404);
    expect((await stack.request('GET', '/v1/reporting/report_runs/frr_doesnotexist', { apiKey: merchant.apiKey })).status).toBe(404);
    expect((await stack.request('GET', `/v1/reporting/report_runs/${run.id}`)).status).toBe(401);
  });

  it('when the file is past expires_at, then its contents answer 410 file_expired', async () => {
    const created = await createRun({ report_type: 'transactions', parameters: { from: day(-1), to: day(0) } });
    const run = await decided(created.body.id);
    expect((await rawGet(run.result.url)).status).toBe(200);
    await stack.orm.em.getConnection().execute(`update files set expires_at = now() - interval '1 second' where id = ?`, [run.result.id]);
    const expired = await rawGet(run.result.url);
    expect(expired.status).toBe(410);
    expect(JSON.parse(expired.bytes.toString('utf8'))).toMatchObject({ code: 'file_expired', param: 'id' });
  });

  it('when runs are listed, then newest first, a page at a time after starting_after', async () => {
    const caller = await stack.createMerchant('Listed report runs');
    const ids: string[] = [];
    for (const offset of [-3, -2, -1]) {
      const created = await createRun({ report_type: 'transactions', parameters: { from: day(offset), to: day(0) } }, caller);
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }
    const first = await stack.request('GET', '/v1/reporting/report_runs?limit=2', { apiKey: caller.apiKey });
    expect(first.status).toBe(200);
    expect(first.body.object).toBe('list');
    expect(first.body.data.map((run: any) => run.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.has_more).toBe(true);
    const second = await stack.request('GET', `/v1/reporting/report_runs?limit=2&starting_after=${ids[1]}`, { apiKey: caller.apiKey });
    expect(second.body.data.map((run: any) => run.id)).toEqual([ids[0]]);
    expect(second.body.has_more).toBe(false);
    const unknown = await stack.request('GET', '/v1/reporting/report_runs?starting_after=frr_nope', { apiKey: caller.apiKey });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'resource_missing', param: 'starting_after' });
    const badLimit = await stack.request('GET', '/v1/reporting/report_runs?limit=0', { apiKey: caller.apiKey });
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.param).toBe('limit');
    // Once built, each listed run carries its file, as retrieving it one by one shows.
    const built = [];
    for (const id of ids) built.push(await decided(id, caller));
    const listed = await stack.request('GET', '/v1/reporting/report_runs?limit=3', { apiKey: caller.apiKey });
    expect(listed.body.data).toEqual([...built].reverse());
    expect(listed.body.data.every((run: any) => run.status === 'succeeded' && run.result?.object === 'file')).toBe(true);
  });
});

describe('a report run whose file would be too large', () => {
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `report-runs-small-${randomBase62(8)}`;

  beforeAll(async () => {
    // A worker of its own whose builds store at most 64 bytes: the run's business failure, through the real workflow.
    worker = await createPaymentWorker({
      connection: await connectTemporalWorker({ ...stack.config.temporal, address: stack.config.temporal.address as string }),
      namespace: stack.config.temporal.namespace,
      taskQueue,
      activities: createReportRunActivities({ orm: stack.orm, reportFileMaxBytes: 64 }) as never,
      payloadKeys: stack.config.temporal.payloadKeys,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
  });

  it('when the build passes the limit, then the run fails with the reason, its file is gone and reporting.report_run.failed is recorded', async () => {
    const range = resolveReportRange({ from: day(-2), to: day(0) }, new Date());
    const runId = `frr_${randomBase62(22)}`;
    const fileId = `file_${randomBase62(22)}`;
    await inTransaction(stack.orm, (sql) =>
      new ReportRunRepository(sql).insertIfAbsent({
        id: runId,
        merchantId: merchant.id,
        livemode: false,
        reportType: 'transactions',
        from: range.from,
        to: range.to,
        format: 'csv',
        startsAt: range.startsAt,
        endsBefore: range.endsBefore,
        fileId,
        status: 'pending',
        error: null,
        createdAt: new Date(),
        succeededAt: null,
        failedAt: null,
      }),
    );
    const input: ReportRunWorkflowInput = {
      runId,
      merchantId: merchant.id,
      reportType: 'transactions',
      format: 'csv',
      range,
      fileId,
      filename: `transactions_${day(-2)}_${day(0)}.csv`,
    };
    const handle = await stack.client.workflow.start('reportRunWorkflow', {
      taskQueue,
      workflowId: reportRunWorkflowId(runId),
      args: [input],
    });
    expect(await handle.result()).toMatchObject({ status: 'failed' });
    const run = await decided(runId);
    expect(run).toMatchObject({ status: 'failed', result: null, succeeded_at: null });
    expect(run.error).toContain('larger than 64 bytes');
    expect(await inTransaction(stack.orm, (sql) => new FileRepository(sql).findById(fileId))).toBeNull();
    const events = await stack.request('GET', '/v1/events?type=reporting.report_run.failed&limit=100', { apiKey: merchant.apiKey });
    const mine = events.body.data.filter((event: any) => event.data.object.id === runId);
    expect(mine).toHaveLength(1);
    expect(mine[0].data.object).toMatchObject({ status: 'failed', error: run.error });
    await recordHistory(reportRunWorkflowId(runId), 'report-run-failed');
  });
});

describe('a report run of 40,000 payments', () => {
  const COUNT = 40_000;
  const DESCRIPTION_LENGTH = 1_000;
  let bulk: TestMerchant;
  let input: ReportRunWorkflowInput;

  beforeAll(async () => {
    bulk = await stack.createMerchant('A busy merchant');
    const base = new Date(Date.now() - 2 * DAY_MS);
    base.setUTCMilliseconds(0);
    // Three payments share each created_at, to the microsecond, so batches end inside a tie.
    await insertBulkPayments(stack, {
      merchantId: bulk.id,
      count: COUNT,
      idPrefix: 'pay_bulkrun',
      descriptionLength: DESCRIPTION_LENGTH,
      base,
    });
    const range = resolveReportRange({ from: day(-3), to: day(0) }, new Date());
    input = {
      runId: `frr_${randomBase62(22)}`,
      merchantId: bulk.id,
      reportType: 'transactions',
      format: 'csv',
      range,
      fileId: `file_${randomBase62(22)}`,
      filename: `transactions_${day(-3)}_${day(0)}.csv`,
    };
  });

  /** The stored file's chunks, in order. */
  const storedChunks = async (fileId: string) =>
    (await stack.orm.em.getConnection().execute('select seq, data from file_chunks where file_id = ? order by seq', [fileId])) as {
      seq: number;
      data: Buffer;
    }[];

  it('when it is built in batches of 500, then it is stored in 1 MB chunks with a heartbeat per batch, in bounded memory, and equals the synchronous report', async () => {
    const activities = createReportRunActivities({ orm: stack.orm, reportRunBatchSize: 500 });
    const environment = new MockActivityEnvironment();
    // A small build first, so that code compiled on first use is not counted as the big one's.
    await environment.run(activities.buildReportRunFile, {
      ...input,
      fileId: `file_${randomBase62(22)}`,
      range: { ...input.range, endsBefore: input.range.startsAt },
    });
    const baseline = liveMemory();
    const samples: number[] = [];
    let heartbeats = 0;
    environment.on('heartbeat', () => {
      heartbeats += 1;
      if (heartbeats % 10 === 0) samples.push(liveMemory() - baseline);
    });
    const built = (await environment.run(activities.buildReportRunFile, input)) as BuiltReportFile;
    expect(heartbeats).toBe(COUNT / 500 + 1);
    expect(built.size).toBeGreaterThan(COUNT * DESCRIPTION_LENGTH);
    expect(
      Math.max(...samples),
      `heap growth samples ${samples.map((s) => (s / 1e6).toFixed(1)).join(', ')} MB for ${(built.size / 1e6).toFixed(1)} MB`,
    ).toBeLessThan(built.size / 4);

    const chunks = await storedChunks(input.fileId);
    expect(chunks.map((chunk) => chunk.seq)).toEqual(Array.from({ length: Math.ceil(built.size / FILE_CHUNK_BYTES) }, (_, i) => i));
    expect(chunks.slice(0, -1).every((chunk) => chunk.data.length === FILE_CHUNK_BYTES)).toBe(true);
    const stored = Buffer.concat(chunks.map((chunk) => chunk.data));
    const synchronous = await rawGet(`/v1/reports/transactions?from=${day(-3)}&to=${day(0)}&format=csv`, bulk);
    expect(stored.length).toBe(built.size);
    expect(stored.equals(synchronous.bytes)).toBe(true);
    const file = await inTransaction(stack.orm, (sql) => new FileRepository(sql).findById(input.fileId));
    expect(file).toMatchObject({ status: 'ready', size: built.size });
  });

  it('when JSON is built in batches of 500, then the file equals the synchronous JSON report (the totals, then every row once)', async () => {
    const activities = createReportRunActivities({ orm: stack.orm, reportRunBatchSize: 500 });
    const json = {
      ...input,
      format: 'json' as const,
      fileId: `file_${randomBase62(22)}`,
      filename: `transactions_${day(-3)}_${day(0)}.json`,
    };
    const built = (await new MockActivityEnvironment().run(activities.buildReportRunFile, json)) as BuiltReportFile;
    const stored = Buffer.concat((await storedChunks(json.fileId)).map((chunk) => chunk.data));
    const synchronous = await rawGet(`/v1/reports/transactions?from=${day(-3)}&to=${day(0)}&format=json`, bulk);
    expect(stored.length).toBe(built.size);
    expect(stored.equals(synchronous.bytes)).toBe(true);
    expect(JSON.parse(stored.toString('utf8')).data).toHaveLength(COUNT);
  });

  it('when a build is retried after an attempt left part of the file, then the chunks are replaced, never duplicated', async () => {
    const activities = createReportRunActivities({ orm: stack.orm, reportRunBatchSize: 5_000 });
    const before = Buffer.concat((await storedChunks(input.fileId)).map((chunk) => chunk.data));
    // An attempt that died midway: the file is building again, with a stray chunk past the end and one chunk overwritten.
    await stack.orm.em.getConnection().execute(`update files set status = 'building', size = null where id = ?`, [input.fileId]);
    await stack.orm.em
      .getConnection()
      .execute(`insert into file_chunks (file_id, seq, data) values (?, 999, '\\x00'::bytea)`, [input.fileId]);
    await stack.orm.em
      .getConnection()
      .execute(`update file_chunks set data = '\\x01'::bytea where file_id = ? and seq = 3`, [input.fileId]);
    const built = (await new MockActivityEnvironment({ attempt: 2 }).run(activities.buildReportRunFile, input)) as BuiltReportFile;
    const chunks = await storedChunks(input.fileId);
    expect(chunks.map((chunk) => chunk.seq)).toEqual(Array.from({ length: Math.ceil(before.length / FILE_CHUNK_BYTES) }, (_, i) => i));
    expect(Buffer.concat(chunks.map((chunk) => chunk.data)).equals(before)).toBe(true);
    expect(built.size).toBe(before.length);
    // Once ready, another retry is answered with the file and writes nothing.
    const again = await new MockActivityEnvironment({ attempt: 3 }).run(activities.buildReportRunFile, input);
    expect(again).toEqual(built);
  });

  it('when the file would pass the limit, then the build fails for good (ReportRunFileTooLarge) and leaves no file', async () => {
    const activities = createReportRunActivities({ orm: stack.orm, reportRunBatchSize: 500, reportFileMaxBytes: 3 * FILE_CHUNK_BYTES });
    const fileId = `file_${randomBase62(22)}`;
    const failure = await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') })
      .run(activities.buildReportRunFile, { ...input, fileId })
      .catch((error) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'ReportRunFileTooLarge', nonRetryable: true });
    expect(await inTransaction(stack.orm, (sql) => new FileRepository(sql).findById(fileId))).toBeNull();
    expect(await storedChunks(fileId)).toEqual([]);
  });
});
