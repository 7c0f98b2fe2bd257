import path from 'node:path';
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { Activities } from '../../activities';

export interface PaymentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities & Record<string, unknown>;
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

/** A worker that runs every workflow and activity on the task queue. */
export async function createPaymentWorker(options: PaymentWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: options.workflowsPath ?? WORKFLOWS_PATH }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 100,
    maxCachedWorkflows: options.maxCachedWorkflows ?? 500,
  });
}
