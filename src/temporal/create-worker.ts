import path from 'node:path';
import { Worker, type ActivityInterceptorsFactory, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { temporalDataConverter } from './data-converter';
import type { PayloadKey } from './payload-keys';
import { activityMetricsInterceptor, workflowMetricsSinks } from '../metrics/worker-metrics';
import { bundleHasTracing, TRACING_WORKFLOW_INTERCEPTOR_MODULE, type Tracing } from './tracing';

export interface PaymentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities & Record<string, unknown>;
  /** Keys of the payload codec (TEMPORAL_PAYLOAD_KEYS): a worker without them could not read encrypted histories. */
  payloadKeys: PayloadKey[];
  /** A prebuilt bundle (tests build one per file); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  /** Another workflows entry point (the benchmark adds its empty workflow to ours). */
  workflowsPath?: string;
  maxConcurrentActivityTaskExecutions?: number;
  /** Payment workflows are short; the cache need only hold those in flight, not the heap-sized default (thousands). */
  maxCachedWorkflows?: number;
  /** OpenTelemetry (OTEL_EXPORTER_OTLP_ENDPOINT): activity and workflow spans; a prebuilt bundle must then carry the tracing module. */
  tracing?: Tracing;
}

// A folder, not a resolved file: under tsx and vitest the .ts sources are bundled directly.
export const WORKFLOWS_PATH = path.resolve(__dirname, '../../workflows');

/** Workflow interceptor modules every bundle carries (a prebuilt bundle must be built with them: bundleWorkflowCode's workflowInterceptorModules). Unresolved paths, as above: webpack finds the .ts or .js. */
export const WORKFLOW_INTERCEPTOR_MODULES = [path.resolve(__dirname, 'workflow-metrics-interceptor')];

/** The workflow interceptor modules a bundle needs: ours, plus OpenTelemetry's when tracing is on. */
export function workflowInterceptorModules(tracing: boolean): string[] {
  return tracing ? [...WORKFLOW_INTERCEPTOR_MODULES, TRACING_WORKFLOW_INTERCEPTOR_MODULE] : WORKFLOW_INTERCEPTOR_MODULES;
}

/** A worker that runs every workflow and activity on the task queue. */
export async function createPaymentWorker(options: PaymentWorkerOptions): Promise<Worker> {
  const { tracing, workflowBundle } = options;
  if (workflowBundle && 'codePath' in workflowBundle && bundleHasTracing(workflowBundle.codePath) !== Boolean(tracing)) {
    throw new Error(
      tracing
        ? `The workflow bundle ${workflowBundle.codePath} was built without tracing: rebuild it with OTEL_EXPORTER_OTLP_ENDPOINT set (npm run build:workflows)`
        : `The workflow bundle ${workflowBundle.codePath} was built with tracing: set OTEL_EXPORTER_OTLP_ENDPOINT, or rebuild it without`,
    );
  }
  // Loaded only when tracing is on: the OpenTelemetry packages cost the worker memory it does not need otherwise.
  const otel = tracing
    ? (require('@temporalio/interceptors-opentelemetry') as typeof import('@temporalio/interceptors-opentelemetry'))
    : undefined;
  const tracingInterceptor: ActivityInterceptorsFactory = (ctx) => ({
    inbound: new (otel as NonNullable<typeof otel>).OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing?.tracer }),
    outbound: new (otel as NonNullable<typeof otel>).OpenTelemetryActivityOutboundInterceptor(ctx),
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    dataConverter: temporalDataConverter(options.payloadKeys),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: options.workflowsPath ?? WORKFLOWS_PATH }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 100,
    maxCachedWorkflows: options.maxCachedWorkflows ?? 500,
    interceptors: {
      activity: tracing ? [tracingInterceptor, activityMetricsInterceptor] : [activityMetricsInterceptor],
      // A prebuilt bundle carries its interceptor modules (bundleWorkflowCode's workflowInterceptorModules); the SDK ignores these then, with a warning.
      ...(workflowBundle ? {} : { workflowModules: workflowInterceptorModules(Boolean(tracing)) }),
    },
    sinks: {
      ...workflowMetricsSinks,
      ...(tracing && otel ? { exporter: otel.makeWorkflowExporter(tracing.spanProcessor, tracing.resource) } : {}),
    },
  });
}
