import { DefaultLogger, Runtime, type LogLevel, type NativeConnection } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import type { AppConfig } from './config';
import type { Orm } from './db/orm';
import type { Logger } from './logger';
import type { Stoppable } from './bootstrap';
import { createWorkerActivities } from './services';
import { connectTemporalClient, connectTemporalWorker } from './temporal/connection';
import { ensureSchedules } from './temporal/schedules';
import { financeSchedules } from './finance-schedules';
import { createPaymentWorker, type PaymentWorkerOptions } from './temporal/create-worker';
import { temporalDataConverter } from './temporal/data-converter';
import { startMetricsServer } from './metrics/worker-metrics';
import { tracingFromConfig, type Tracing } from './temporal/tracing';

/*
 * What a process that runs a worker needs, apart from the API (src/api-bootstrap.ts): a worker process
 * never loads the HTTP app (13 MB), and an API process never loads the worker's SDK (its native core,
 * webpack's bundler and rxjs: 46 MB), which the API's client, speaking gRPC from JavaScript, never uses.
 */

/**
 * Routes the Temporal SDK's logs into ours and leaves signal handling to our entry points, which
 * stop the API, the worker and the embedded servers in order.
 */
export function installTemporalRuntime(logger: Logger, options: { prometheusBindAddress?: string } = {}): void {
  const toPino: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => logger[toPino[entry.level]]({ ...entry.meta }, entry.message)),
    shutdownSignals: [],
    // The SDK's own worker metrics (task latencies, slots, temporal_workflow_failed, ...), scraped at <address>/metrics.
    ...(options.prometheusBindAddress
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: { bindAddress: options.prometheusBindAddress, countersTotalSuffix: true, useSecondsForDurations: true },
            },
          },
        }
      : {}),
  });
}

/** The worker's settings from the configuration, shared by every process that runs one. */
export function workerOptions(
  config: AppConfig & { temporal: { address: string } },
  orm: Orm,
  connection: NativeConnection,
): PaymentWorkerOptions {
  return {
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    payloadKeys: config.temporal.payloadKeys,
    // A client on the worker's own connection, for the activities that describe workflows (the daily subscription check).
    activities: createWorkerActivities(
      config,
      orm,
      new Client({ connection, namespace: config.temporal.namespace, dataConverter: temporalDataConverter(config.temporal.payloadKeys) }),
    ),
    ...(config.temporal.workflowBundlePath ? { workflowBundle: { codePath: config.temporal.workflowBundlePath } } : {}),
    maxCachedWorkflows: config.temporal.maxCachedWorkflows,
    maxConcurrentActivityTaskExecutions: config.temporal.maxConcurrentActivities,
  };
}

/**
 * Puts the finance schedules in place (unless FINANCE_SCHEDULES=off): idempotent, so every worker start may do it.
 * `idPrefix` keeps test files, each on its own task queue, from sharing a schedule. Returns the schedule ids.
 */
export async function keepFinanceSchedules(
  config: AppConfig & { temporal: { address: string } },
  logger?: Logger,
  idPrefix?: string,
): Promise<string[]> {
  if (!config.ledger.schedules) return [];
  const client = await connectTemporalClient(config.temporal);
  try {
    // Temporal restarting just as a worker starts (a deploy of both) is waited out, not a reason for the worker to exit.
    for (let attempt = 1; ; attempt++) {
      try {
        return await ensureSchedules({
          client,
          taskQueue: config.temporal.taskQueue,
          definitions: financeSchedules(config),
          logger,
          idPrefix,
        });
      } catch (error) {
        if (attempt >= SCHEDULE_ATTEMPTS) throw error;
        logger?.warn({ attempt, error: (error as Error).message }, 'finance schedules not in place yet; Temporal is asked again');
        await new Promise((resolve) => setTimeout(resolve, 1_000 * 2 ** (attempt - 1)));
      }
    }
  } finally {
    await client.connection.close();
  }
}

/** Tries at putting the finance schedules in place, 1 s apart and doubling: about a minute in all. */
const SCHEDULE_ATTEMPTS = 6;

export interface StartWorkerOptions {
  /** OpenTelemetry set up by the caller (tests read its spans); by default from the configuration, and shut down on stop. */
  tracing?: Tracing;
  /** Prefix of the finance schedules' ids (see keepFinanceSchedules). */
  scheduleIdPrefix?: string;
}

export interface RunningWorker extends Stoppable {
  /** The finance schedules this start put in place (none with FINANCE_SCHEDULES=off). */
  scheduleIds: string[];
}

/** Starts a worker on the configured task queue, with the finance schedules in place; `stop()` drains it. */
export async function startWorker(
  config: AppConfig & { temporal: { address: string } },
  orm: Orm,
  logger?: Logger,
  options: StartWorkerOptions = {},
): Promise<RunningWorker> {
  const connection = await connectTemporalWorker(config.temporal);
  const ownTracing = options.tracing ? undefined : tracingFromConfig(config.observability, 'ledgerflow-worker');
  const tracing = options.tracing ?? ownTracing;
  const worker = await createPaymentWorker({ ...workerOptions(config, orm, connection), tracing });
  const scheduleIds = await keepFinanceSchedules(config, logger, options.scheduleIdPrefix);
  const { workerMetricsPort, metricsToken } = config.observability;
  // The worker has no HTTP API: its metrics (payments_total, workflow_failures_total, ...) get a port of their own.
  const metricsServer =
    workerMetricsPort === undefined
      ? undefined
      : await startMetricsServer({ port: workerMetricsPort, host: config.api.host, adminApiKey: config.adminApiKey, metricsToken });
  if (metricsServer) logger?.info({ url: metricsServer.url }, 'worker metrics listening');
  const running = worker.run();
  return {
    scheduleIds,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await metricsServer?.stop();
      await ownTracing?.shutdown();
      await connection.close();
    },
  };
}
