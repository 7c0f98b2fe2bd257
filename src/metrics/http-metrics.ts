import type { Middleware } from 'koa';
import { httpRequestDurationSeconds, httpRequestsTotal } from './metrics';

/**
 * Counts and times every request by its route pattern (`/v1/payments/:id`), never the raw path:
 * ids would make one series per object. Requests no route matched share `unmatched`.
 */
export function httpMetrics(): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      const labels = { method: ctx.method, route: typeof route === 'string' ? route : 'unmatched' };
      httpRequestsTotal.inc({ ...labels, status: String(ctx.status) });
      httpRequestDurationSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}
