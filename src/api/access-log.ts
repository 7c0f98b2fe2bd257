import type { Middleware } from 'koa';
import type { Logger } from '../logger';

/** One structured line per request: method, route, status, latency. Never bodies or headers, so no keys or card data. */
export function accessLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10, requestId: ctx.get('x-request-id') || undefined }, 'request');
    }
  };
}
