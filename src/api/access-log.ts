import type { Middleware } from 'koa';
import type { Logger } from '../logger';
import { requestIdOf } from './request-id';

/** One structured line per request: method, route, status, latency. Never bodies or headers, so no keys or card data. */
export function accessLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // A route may name a path that hides a secret in it (the codec token).
      logger.info(
        {
          method: ctx.method,
          path: ctx.state.logPath ?? ctx.path,
          status: ctx.status,
          ms: Math.round(ms * 10) / 10,
          requestId: requestIdOf(ctx),
        },
        'request',
      );
    }
  };
}
