import type { Context, Middleware } from 'koa';
import { newId } from '../shared/ids';

// A client's own id is kept only when it cannot smuggle anything into logs: 1-128 safe characters.
const WELL_FORMED = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** This request's id (set by `requestId()`, which runs first). */
export function requestIdOf(ctx: Context): string | undefined {
  return (ctx.state as { requestId?: string }).requestId;
}

/**
 * Gives every request an id, answered in the `Request-Id` header of every response (errors and
 * unknown routes included): the client's `Request-Id` or `X-Request-Id` when well-formed, else `req_...`.
 */
export function requestId(): Middleware {
  return async (ctx, next) => {
    const sent = ctx.get('request-id') || ctx.get('x-request-id');
    const id = WELL_FORMED.test(sent) ? sent : newId('req');
    (ctx.state as { requestId?: string }).requestId = id;
    ctx.set('Request-Id', id);
    await next();
  };
}
