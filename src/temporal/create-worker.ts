import path from 'node:path';
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { temporalDataConverter } from './data-converter';
import type { PayloadKey } from './payload-keys';
import { activityMetricsInterceptor, workflowMetricsSinks } from '../metrics/worker-metrics';

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
}

// A folder, not a resolved file: under tsx and vitest the .ts sources are bundled directly.
export const WORKFLOWS_PATH = path.resolve(__dirname, '../../workflows');

/** Workflow interceptor modules every bundle carries (a prebuilt bundle must be built with them: bundleWorkflowCode's workflowInterceptorModules). Unresolved paths, as above: webpack finds the .ts or .js. */
export const WORKFLOW_INTERCEPTOR_MODULES = [path.resolve(__dirname, 'workflow-metrics-interceptor')];

/** A worker that runs every workflow and activity on the task queue. */
export async function createPaymentWorker(options: PaymentWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    dataConverter: temporalDataConverter(options.payloadKeys),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: options.workflowsPath ?? WORKFLOWS_PATH }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 100,
    maxCachedWorkflows: options.maxCachedWorkflows ?? 500,
    interceptors: { activity: [activityMetricsInterceptor], workflowModules: WORKFLOW_INTERCEPTOR_MODULES },
    sinks: { ...workflowMetricsSinks },
  });
}
