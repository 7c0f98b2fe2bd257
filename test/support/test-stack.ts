import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startApi } from '../../src/api-bootstrap';
import { startWorker, type RunningWorker } from '../../src/worker-bootstrap';
import { loadConfig, type AppConfig } from '../../src/config';
import { initOrm, type Orm } from '../../src/db/orm';
import { createLogger } from '../../src/logger';
import { connectTemporalClient } from '../../src/temporal/connection';
import { randomBase62 } from '../../src/shared/ids';
import { findFreePort } from '../../src/infra/temporal-dev-server';
import type { Tracing } from '../../src/temporal/tracing';

// Expected declines make the SDK log activity failures; tests only want real errors.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  /* already installed in this process */
}

export const TEST_ADMIN_KEY = 'test_admin_key_for_the_suite';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestStack {
  config: AppConfig;
  orm: Orm;
  client: Client;
  baseUrl: string;
  taskQueue: string;
  /** A fresh merchant with its key: each test gets its own, so tests never see each other's objects. */
  createMerchant(name?: string, settings?: Record<string, unknown>): Promise<{ id: string; apiKey: string }>;
  request<T = any>(
    method: string,
    path: string,
    options?: { apiKey?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export interface TestStackOptions {
  env?: Record<string, string>;
  /** Run an in-process worker (default true). */
  worker?: boolean;
  /** Create the finance schedules, prefixed with this file's task queue so files never share one. */
  schedules?: boolean;
  /** Where the API's log lines go (with env LOG_LEVEL), e.g. a buffer a test reads; by default stdout. */
  logDestination?: { write(line: string): void };
  /** OpenTelemetry for the API's client and the worker; a traced worker bundles its workflows at start (~10 s) with the tracing module. */
  tracing?: { api: Tracing; worker: Tracing };
}

/** The real API (listening on a free port) and a real worker on this file's own task queue, against the suite's Postgres and Temporal. */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const taskQueue = `test-${randomBase62(10)}`;
  // The port is chosen before the API starts, so links the API and the worker make (PUBLIC_URL's default) point at it.
  const port = await findFreePort();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    DATABASE_POOL_MAX: '6',
    HOST: '127.0.0.1',
    PORT: String(port),
    // Built once for the suite; a traced worker bundles its own, with the tracing module.
    ...(options.tracing ? {} : { WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath') }),
    FINANCE_SCHEDULES: options.schedules ? 'on' : 'off',
    // Receipt emails (no SMTP_URL: .eml files) go to this file's own temp folder, never the checkout's .data/.
    MAIL_DIR: path.join(os.tmpdir(), `ledgerflow-mail-${taskQueue}`),
    ...options.env,
  });
  const logger = createLogger(config.logLevel, undefined, options.logDestination);
  const orm = await initOrm({ url: config.database.url as string, poolMax: config.database.poolMax });
  const client = await connectTemporalClient(
    { ...config.temporal, address: config.temporal.address as string },
    { tracing: options.tracing?.api },
  );
  // The same composition root as `npm run api` and `npm run worker`: only the configuration differs.
  const api = await startApi(config, orm, client, logger);
  const workerConfig = {
    ...config,
    temporal: { ...config.temporal, address: config.temporal.address as string },
  };
  let worker: RunningWorker | undefined;
  let scheduleIds: string[] = [];

  const stack: TestStack = {
    config,
    orm,
    client,
    baseUrl: api.url,
    taskQueue,
    async createMerchant(name = 'Test merchant', settings = {}) {
      const response = await stack.request('POST', '/v1/merchants', { apiKey: TEST_ADMIN_KEY, body: { name, ...settings } });
      if (response.status !== 201) throw new Error(`creating a merchant answered ${response.status}: ${JSON.stringify(response.body)}`);
      return { id: response.body.id, apiKey: response.body.api_key };
    },
    async request(method, path, { apiKey, body, rawBody, headers = {} } = {}) {
      const response = await fetch(`${api.url}${path}`, {
        method,
        headers: {
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
          ...(body !== undefined || rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: rawBody ?? (body !== undefined ? JSON.stringify(body) : undefined),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: response.status, body: parsed as any, headers: response.headers };
    },
    async startWorker() {
      worker = await startWorker(workerConfig, orm, logger, { tracing: options.tracing?.worker, scheduleIdPrefix: `${taskQueue}-` });
      scheduleIds = worker.scheduleIds;
    },
    async stopWorker() {
      await worker?.stop();
      worker = undefined;
    },
    async close() {
      await stack.stopWorker();
      await Promise.all(
        scheduleIds.map((id) =>
          client.schedule
            .getHandle(id)
            .delete()
            .catch(() => undefined),
        ),
      );
      await api.stop();
      await client.connection.close();
      await orm.close();
    },
  };
  if (options.worker !== false) await stack.startWorker();
  return stack;
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface TestMerchant {
  id: string;
  apiKey: string;
}

/** The usual suite set-up: a stack and one merchant before the file's tests, closed after them. */
export function useTestStack(
  assign: (started: { stack: TestStack; merchant: TestMerchant }) => void,
  options: TestStackOptions = {},
): void {
  let started: TestStack | undefined;
  beforeAll(async () => {
    started = await startTestStack(options);
    assign({ stack: started, merchant: await started.createMerchant() });
  });
  afterAll(async () => started?.close());
}
