import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DefaultLogger, Runtime, type LogLevel, type NativeConnection } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { createApp } from './api/app';
import type { AppConfig } from './config';
import type { Orm } from './db/orm';
import type { Logger } from './logger';
import { createApiServices, createWorkerActivities, type ApiServices } from './services';
import { connectTemporalClient, connectTemporalWorker } from './temporal/connection';
import { ensureSchedules } from './temporal/schedules';
import { financeSchedules } from './finance-schedules';
import { createPaymentWorker, type PaymentWorkerOptions } from './temporal/create-worker';
import { temporalDataConverter } from './temporal/data-converter';
import { AesGcmPayloadCodec } from './temporal/payload-codec';
import { startMetricsServer } from './metrics/worker-metrics';
import { tracingFromConfig, type Tracing } from './temporal/tracing';

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

export interface Stoppable {
  stop(): Promise<void>;
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

export interface RunningApi extends Stoppable {
  /** Where it listens (PORT=0 picks a free port: this says which). */
  url: string;
  services: ApiServices;
}

/** Builds the API's services and app and starts listening; resolves once it listens. */
export async function startApi(config: AppConfig, orm: Orm, temporal: Client, logger: Logger): Promise<RunningApi> {
  const services = createApiServices(config, orm, temporal, logger);
  const app = createApp({
    orm,
    temporal,
    ...services,
    adminApiKey: config.adminApiKey,
    logger,
    temporalCodec: { codec: new AesGcmPayloadCodec(config.temporal.payloadKeys), uiOrigins: config.temporal.uiOrigins },
    metricsToken: config.observability.metricsToken,
    bodyLimit: config.api.bodyLimit,
    dependencyRetryMs: config.api.dependencyRetryMs,
  });
  // Secrets of endpoints from before sealing: sealed here, in code, since the migration has no keys.
  await services.webhooks.sealSecretsInClear(logger);
  await services.decisions.start();
  await services.dispatcher.start();
  await services.receiptDispatcher.start();
  await services.keyRevocations.start();
  await services.oauthRevocations.start();
  // The sandbox's card network sends its scheduled notifications (tok_createDispute) through the same receiver as HTTP.
  services.network.start((gateway, rawBody, signature) => services.gatewayEvents.receive(gateway, rawBody, signature));
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(config.api.port, config.api.host, () => resolve(listening));
    listening.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${config.api.host === '0.0.0.0' ? '127.0.0.1' : config.api.host}:${port}`,
    services,
    async stop() {
      await services.network.stop();
      await services.decisions.stop();
      await services.dispatcher.stop();
      await services.receiptDispatcher.stop();
      await services.keyRevocations.stop();
      await services.oauthRevocations.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would hold close() open.
        server.closeIdleConnections();
      });
      // After the last response: the audit rows still queued are written before the process exits.
      await services.audit.stop();
    },
  };
}

// Ctrl-C reaches us twice: from the terminal to the whole process group, and relayed by tsx.
const DUPLICATE_SIGNAL_WINDOW_MS = 2_000;

/** Runs `shutdown` once on SIGINT/SIGTERM; a later second signal exits at once. */
export function onShutdownSignal(logger: Logger, shutdown: () => Promise<void>): void {
  let stoppingSince: number | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < DUPLICATE_SIGNAL_WINDOW_MS) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stoppingSince = Date.now();
    shutdown().then(
      () => {
        logger.flush();
        process.exit(0);
      },
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** For the production entry points: settings they cannot run without. */
export function requireSetting(value: string | undefined, name: string, hint: string): string {
  if (!value) {
    process.stderr.write(`${name} is not set. ${hint}\n`);
    process.exit(2);
  }
  return value;
}
