import http from 'node:http';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { WorkflowMetricsSinks } from '../temporal/workflow-metrics-interceptor';
import { MetricRegistry } from './metric-registry';
import { metricsAuthorized, type MetricsAccess } from './metrics-router';
import { activityFailuresTotal, paymentsTotal, registry as defaultRegistry, workflowFailuresTotal } from './metrics';

/**
 * Counts activity failures, and payment outcomes where they are recorded: each completed
 * `recordPaymentOutcome` stored one state (succeeded, failed, requires_capture, canceled).
 */
export const activityMetricsInterceptor: ActivityInterceptorsFactory = (ctx: ActivityContext) => ({
  inbound: {
    async execute(input, next) {
      try {
        const result = await next(input);
        if (ctx.info.activityType === 'recordPaymentOutcome') {
          const status = (input.args[0] as { state?: { status?: string } } | undefined)?.state?.status;
          if (status) paymentsTotal.inc({ outcome: status });
        }
        return result;
      } catch (error) {
        activityFailuresTotal.inc({ activity_type: ctx.info.activityType });
        throw error;
      }
    },
  },
});

/** The worker side of workflow-metrics-interceptor: failures reported from the sandbox become a counter. */
export const workflowMetricsSinks: InjectedSinks<WorkflowMetricsSinks> = {
  workflowMetrics: {
    workflowFailed: {
      fn: (info, failureType) => workflowFailuresTotal.inc({ workflow_type: info.workflowType, failure_type: failureType }),
      callDuringReplay: false,
    },
  },
};

/** Serves `GET /metrics` on its own port (WORKER_METRICS_PORT) for a worker process, which has no HTTP API. */
export async function startMetricsServer(
  options: MetricsAccess & { port: number; host: string; registry?: MetricRegistry },
): Promise<{ url: string; stop(): Promise<void> }> {
  const registry = options.registry ?? defaultRegistry;
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Not found', code: 'route_not_found' }));
    } else if (!metricsAuthorized(request.headers.authorization, options)) {
      response
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'Send the admin key or METRICS_TOKEN as "Authorization: Bearer <token>"', code: 'unauthorized' }));
    } else {
      response.writeHead(200, { 'content-type': MetricRegistry.CONTENT_TYPE }).end(registry.render());
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${options.host}:${port}/metrics`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
