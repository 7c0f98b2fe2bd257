import { Client as TemporalClient } from '@temporalio/client';
import { Client } from 'pg';
import { percentiles, round, type Percentiles } from './load';

/**
 * Report runs on the empty and the seeded database (issue 21's "30-day report" as a merchant with a year
 * of payments should ask for it): the request that makes a run, which must not grow with the data, and
 * the background build and the download, which grow with the file by nature and are reported as they are.
 */

export interface ReportRunSide {
  baseUrl: string;
  apiKey: string;
  databaseUrl: string;
  merchantId: string;
  /** The client the side's API starts workflows with, to end the runs the request timing left queued. */
  temporal: TemporalClient;
}

export interface ReportRunGrowth {
  create: { empty: Percentiles & { requests: number }; seeded: Percentiles & { requests: number }; p99Ratio: number };
  build: Record<'empty' | 'seeded', { ms: number[]; fileBytes: number; downloadMs: number[] }>;
}

const CREATE_WARM_UP = 5;
const CREATE_REQUESTS = Number(process.env.DATA_GROWTH_REPORT_RUNS ?? 40);
const BUILDS = 3;

async function post(side: ReportRunSide, body: unknown): Promise<{ ms: number; id: string }> {
  const started = performance.now();
  const response = await fetch(`${side.baseUrl}/v1/reporting/report_runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${side.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { id?: string };
  const ms = performance.now() - started;
  if (response.status !== 201 || !answer.id)
    throw new Error(`POST /v1/reporting/report_runs: ${response.status} ${JSON.stringify(answer)}`);
  return { ms, id: answer.id };
}

/** The runs the measured merchant has on a side, as ids. */
async function runIds(side: ReportRunSide): Promise<string[]> {
  const client = new Client({ connectionString: side.databaseUrl });
  await client.connect();
  try {
    return (await client.query<{ id: string }>(`select id from report_runs where merchant_id = $1`, [side.merchantId])).rows.map(
      (row) => row.id,
    );
  } finally {
    await client.end();
  }
}

/** Ends the measured merchant's runs (their workflows and their rows, files and chunks): the next bench starts from none. */
export async function clearReportRuns(side: ReportRunSide): Promise<void> {
  for (const id of await runIds(side)) {
    await side.temporal.workflow
      .getHandle(`report-run-${id}`)
      .terminate('data-growth bench clean-up')
      .catch(() => undefined);
  }
  const client = new Client({ connectionString: side.databaseUrl });
  await client.connect();
  try {
    await client.query(`delete from files where merchant_id = $1`, [side.merchantId]);
    await client.query(`delete from report_runs where merchant_id = $1`, [side.merchantId]);
  } finally {
    await client.end();
  }
}

/**
 * The request alone, alternating between the sides as the reads are: no worker polls yet, so the runs
 * wait in their task queues and no build competes with the timing; they are ended afterwards.
 */
export async function measureReportRunCreation(empty: ReportRunSide, seeded: ReportRunSide, body: unknown) {
  for (let i = 0; i < CREATE_WARM_UP; i++) {
    await post(empty, body);
    await post(seeded, body);
  }
  const samples = { empty: [] as number[], seeded: [] as number[] };
  for (let i = 0; i < CREATE_REQUESTS; i++) {
    samples.empty.push((await post(empty, body)).ms);
    samples.seeded.push((await post(seeded, body)).ms);
  }
  await clearReportRuns(empty);
  await clearReportRuns(seeded);
  const result = (side: 'empty' | 'seeded') => ({ ...percentiles(samples[side]), requests: samples[side].length });
  const create = { empty: result('empty'), seeded: result('seeded') };
  return { ...create, p99Ratio: round(create.seeded.p99 / Math.max(create.empty.p99, 0.1), 2) };
}

/** A run from its request to `succeeded` (polled every 20 ms), then its file downloaded whole. */
async function buildOnce(side: ReportRunSide, body: unknown): Promise<{ ms: number; fileBytes: number; downloadMs: number }> {
  const started = performance.now();
  const { id } = await post(side, body);
  for (;;) {
    const response = await fetch(`${side.baseUrl}/v1/reporting/report_runs/${id}`, { headers: { authorization: `Bearer ${side.apiKey}` } });
    const run = (await response.json()) as { status: string; error?: string; result?: { url: string; size: number } };
    if (run.status === 'failed') throw new Error(`report run ${id} failed: ${run.error}`);
    if (run.status === 'succeeded' && run.result) {
      const ms = performance.now() - started;
      const downloadStarted = performance.now();
      const file = await fetch(`${side.baseUrl}${run.result.url}`, { headers: { authorization: `Bearer ${side.apiKey}` } });
      const bytes = (await file.arrayBuffer()).byteLength;
      if (file.status !== 200 || bytes !== run.result.size)
        throw new Error(`report run ${id}'s file: ${file.status}, ${bytes} of ${run.result.size} bytes`);
      return { ms, fileBytes: bytes, downloadMs: performance.now() - downloadStarted };
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** BUILDS runs on each side, one at a time, with the workers polling; the runs are cleared afterwards. */
export async function measureReportRunBuilds(empty: ReportRunSide, seeded: ReportRunSide, body: unknown) {
  const build: ReportRunGrowth['build'] = {
    empty: { ms: [], fileBytes: 0, downloadMs: [] },
    seeded: { ms: [], fileBytes: 0, downloadMs: [] },
  };
  for (let i = 0; i < BUILDS; i++) {
    for (const [name, side] of [
      ['empty', empty],
      ['seeded', seeded],
    ] as const) {
      const once = await buildOnce(side, body);
      build[name].ms.push(round(once.ms, 1));
      build[name].downloadMs.push(round(once.downloadMs, 1));
      build[name].fileBytes = once.fileBytes;
    }
  }
  await clearReportRuns(empty);
  await clearReportRuns(seeded);
  return build;
}
