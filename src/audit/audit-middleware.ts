import type { Context, Middleware } from 'koa';
import { callerOf, matchedRouteOf } from '../api/caller';
import { requestIdOf } from '../api/request-id';
import type { AuditWriter } from './audit-writer';

const MUTATING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
const PRINTABLE_ASCII = /^[\x21-\x7e]{1,255}$/;

// The object the request created or touched: the response's own id, else the route's :id.
function objectIdOf(ctx: Context): string | null {
  const body = ctx.body as { id?: unknown } | undefined;
  if (body && typeof body === 'object' && !Buffer.isBuffer(body) && typeof body.id === 'string') return body.id.slice(0, 255);
  const param = (ctx as Context & { params?: Record<string, string> }).params?.id;
  return typeof param === 'string' ? param.slice(0, 255) : null;
}

/**
 * Records every mutating request an authenticated merchant or the admin made, once its status is
 * decided (so it sits outside the error middleware): the caller, the route, the object, the request
 * id, the Idempotency-Key and the status. Never the body, which may hold card data. Requests refused
 * before authentication (401) or by the rate limit (429) are not recorded: they changed nothing,
 * and a flood of them would flood the log; the access log has them.
 */
export function auditTrail(writer: AuditWriter | undefined): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      const caller = callerOf(ctx);
      const route = matchedRouteOf(ctx);
      if (writer && caller && route && MUTATING.has(ctx.method) && ctx.status !== 429) {
        const idempotencyKey = ctx.get('idempotency-key');
        writer.record({
          merchantId: caller.kind === 'merchant' ? caller.merchantId : null,
          actorType: caller.kind,
          apiKeyId: caller.kind === 'merchant' ? caller.keyId : null,
          apiKeyPrefix: caller.kind === 'merchant' ? caller.keyPrefix : null,
          apiKeyLast4: caller.kind === 'merchant' ? caller.keyLast4 : null,
          action: route.operationId,
          method: ctx.method,
          route: route.path,
          path: String(ctx.state.logPath ?? ctx.path).slice(0, 1_000),
          objectId: objectIdOf(ctx),
          requestId: requestIdOf(ctx) ?? 'unknown',
          idempotencyKey: PRINTABLE_ASCII.test(idempotencyKey) ? idempotencyKey : null,
          statusCode: ctx.status,
          createdAt: new Date(),
        });
      }
    }
  };
}
