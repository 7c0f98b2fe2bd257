import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import { ROOT_CONTEXT, type Context, type ContextManager, type Tracer } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * The workflow interceptor module that traces workflow runs and the activities they schedule. It is
 * bundled only when tracing is on: without the `exporter` sink the worker would log an error for
 * every span the workflows end.
 */
export const TRACING_WORKFLOW_INTERCEPTOR_MODULE = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/** One process's tracing: a tracer for the client and activity interceptors, and where spans go. */
export interface Tracing {
  tracer: Tracer;
  /** The worker hands workflow spans (ended in the sandbox) to this processor through a sink. */
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Sends the spans still queued; call once the client or worker has stopped. */
  shutdown(): Promise<void>;
}

/** Active contexts across awaits, so the client interceptor's span becomes the parent in the headers it injects. */
class AsyncLocalStorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const bound = (...args: unknown[]) => this.with(ctx, () => (target as (...a: unknown[]) => unknown)(...args));
    return bound as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

let globalsInstalled = false;

/**
 * Tracing for one service (`ledgerflow-api`, `ledgerflow-worker`): spans go to `exporter` (tests
 * pass an in-memory one) or, batched, to the OTLP/HTTP collector at `endpoint`.
 */
export function createTracing(options: { serviceName: string; endpoint?: string; exporter?: SpanExporter }): Tracing {
  // The SDK is loaded here, not at import: processes without tracing never load it.
  const { Resource } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor } =
    require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const resource = new Resource({ 'service.name': options.serviceName });
  const spanProcessor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: `${(options.endpoint ?? '').replace(/\/$/, '')}/v1/traces` }));
  const provider = new BasicTracerProvider({ resource });
  provider.addSpanProcessor(spanProcessor);
  // The interceptors read the active context and inject it with the global propagator (W3C trace
  // context by default); both are per process, so only the first provider installs them.
  if (!globalsInstalled) {
    globalsInstalled = true;
    provider.register({ contextManager: new AsyncLocalStorageContextManager() });
  }
  return {
    tracer: provider.getTracer('ledgerflow'),
    spanProcessor,
    resource,
    shutdown: () => provider.shutdown(),
  };
}

/** Tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise none, and nothing is intercepted. */
export function tracingFromConfig(observability: { otlpEndpoint?: string }, serviceName: string): Tracing | undefined {
  return observability.otlpEndpoint ? createTracing({ serviceName, endpoint: observability.otlpEndpoint }) : undefined;
}

/**
 * Whether a prebuilt workflow bundle carries the tracing interceptor: a worker whose tracing setting
 * differs from its bundle's would lose the workflow spans (or log an error for each of them).
 */
export function bundleHasTracing(codePath: string): boolean {
  return fs.readFileSync(codePath, 'utf8').includes('OpenTelemetryInboundInterceptor');
}
