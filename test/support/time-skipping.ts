import { afterAll, beforeAll, inject } from 'vitest';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type Activities, type ActivityDeps } from '../../activities';
import { initOrm, type Orm } from '../../src/db/orm';
import { createGateways } from '../../src/services';
import { randomBase62 } from '../../src/shared/ids';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';
import { testDataConverter } from './temporal-codec';

// Expected declines make the SDK log activity failures; tests only want real errors.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  /* already installed in this process */
}

/** Fraud limits no test payment reaches, so only what a test sets up decides an outcome. */
export const PERMISSIVE_FRAUD_POLICY: ActivityDeps['fraudPolicy'] = {
  maxAmountMinor: 1e9,
  velocityLimit: 1000,
  velocityWindowMs: 3600_000,
};

export interface TimeSkippingOptions {
  /** Begins the name of each worker's task queue, e.g. `disputes`. */
  taskQueuePrefix: string;
  /** Activity dependencies besides the ORM: the gateways default to the sandbox's, the fraud policy to PERMISSIVE_FRAUD_POLICY. */
  activities?: Partial<Omit<ActivityDeps, 'orm'>>;
}

export interface WorkerRunOptions {
  /** The worker's task queue, by default a fresh one; a second worker taking over the first's workflows is given the same. */
  taskQueue?: string;
  /** This worker's gateways, instead of the file's. */
  gateways?: ActivityDeps['gateways'];
  /** Changes the worker's activities, e.g. to hold one back at a latch. */
  adaptActivities?: (activities: Activities) => Activities;
  /** Further worker options, e.g. `maxCachedWorkflows`. */
  worker?: Partial<WorkerOptions>;
}

export interface TimeSkippingEnvironment {
  /** A time-skipping Temporal test server of the file's own, its client using the test payload codec. */
  env: TestWorkflowEnvironment;
  client: Client;
  /** The suite's database, for the activities and for the test's own reads. */
  orm: Orm;
  /** A task queue name no other worker uses. */
  newTaskQueue(): string;
  /** Runs `work` while a worker (the suite's workflow bundle, the real activities) serves its task queue; the worker stops when `work` settles. */
  withWorker<T>(work: (taskQueue: string) => Promise<T>, options?: WorkerRunOptions): Promise<T>;
}

/** The time-skipping workflow test set-up: the test server and the ORM before the file's tests, both closed after them. */
export function useTimeSkippingEnvironment(assign: (started: TimeSkippingEnvironment) => void, options: TimeSkippingOptions): void {
  let env: TestWorkflowEnvironment | undefined;
  let orm: Orm | undefined;
  beforeAll(async () => {
    const started = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: inject('testServerPath') } },
      client: { dataConverter: testDataConverter },
    });
    env = started;
    await registerSearchAttributes(started.connection, 'default');
    const database = await initOrm({ url: inject('databaseUrl'), poolMax: 4 });
    orm = database;
    const newTaskQueue = () => `${options.taskQueuePrefix}-${randomBase62(10)}`;
    assign({
      env: started,
      client: started.client,
      orm: database,
      newTaskQueue,
      async withWorker(
        work,
        { taskQueue = newTaskQueue(), gateways, adaptActivities = (activities: Activities) => activities, worker: workerOptions = {} } = {},
      ) {
        const activities = createActivities({
          orm: database,
          fraudPolicy: PERMISSIVE_FRAUD_POLICY,
          publicUrl: 'http://ledgerflow.test',
          ...options.activities,
          gateways: gateways ?? options.activities?.gateways ?? createGateways(database),
        });
        const worker = await Worker.create({
          connection: started.nativeConnection,
          dataConverter: testDataConverter,
          taskQueue,
          workflowBundle: { codePath: inject('workflowBundlePath') },
          ...workerOptions,
          activities: adaptActivities(activities),
        });
        return worker.runUntil(work(taskQueue));
      },
    });
  });
  afterAll(async () => {
    await env?.teardown();
    await orm?.close();
  });
}
