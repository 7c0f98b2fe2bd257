import type { Context, Middleware } from 'koa';
import type { Logger } from '../logger';
import { matchedRouteOf } from './caller';
import { requestIdOf } from './request-id';
import { dependencyOutage } from './transient-failures';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2_000;

/**
 * True when running this request again cannot act twice: a read, or a request carrying an
 * Idempotency-Key its route honours (a repeated create finds the key's resource and completes or
 * returns it; a repeated capture, cancel or close sends the same workflow update id, which Temporal
 * runs once and answers again).
 */
export function canRerun(ctx: Context): boolean {
  return SAFE_METHODS.has(ctx.method) || (ctx.get('idempotency-key') !== '' && matchedRouteOf(ctx)?.idempotent === true);
}

// Koa offers no way back to a fresh response: drop what the failed attempt set, keep what came before (Request-Id).
function resetResponse(ctx: Context, headersBefore: Record<string, unknown>): void {
  for (const name of Object.keys(ctx.response.headers)) {
    if (!(name in headersBefore)) ctx.remove(name);
  }
  ctx.body = undefined;
  ctx.status = 404;
}

function runChain(middleware: Middleware<any, any>[], ctx: Context, index = 0): Promise<void> {
  const current = middleware[index];
  return current ? Promise.resolve(current(ctx, () => runChain(middleware, ctx, index + 1))) : Promise.resolve();
}

/**
 * Runs `middleware` (the app's last ones: routers) and, when they fail because PostgreSQL or
 * Temporal is briefly away, runs them again with backoff (100 ms doubling to 2 s) until
 * `deadlineMs` has passed. Only requests that are safe to repeat (`canRerun`) and whose response
 * has not started (a streamed CSV cannot be taken back) are re-run; anything else fails as it
 * did, and the error middleware answers 503.
 */
export function retryDependencyOutages(options: { deadlineMs: number; logger: Logger }, middleware: Middleware<any, any>[]): Middleware {
  return async (ctx) => {
    const deadline = Date.now() + options.deadlineMs;
    const headersBefore = { ...ctx.response.headers };
    for (let attempt = 1, backoffMs = FIRST_BACKOFF_MS; ; attempt += 1, backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)) {
      try {
        await runChain(middleware, ctx);
        return;
      } catch (error) {
        const outage = dependencyOutage(error);
        if (!outage || ctx.headerSent || !canRerun(ctx) || Date.now() + backoffMs > deadline) throw error;
        options.logger.warn(
          { outage, attempt, method: ctx.method, path: ctx.path, requestId: requestIdOf(ctx), err: error },
          'dependency unavailable; running the request again',
        );
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        resetResponse(ctx, headersBefore);
      }
    }
  };
}
