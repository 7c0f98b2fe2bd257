import type { Context, Middleware } from 'koa';
import type { Logger } from '../logger';
import { ApiError, apiErrors } from '../shared/api-error';
import { requestIdOf } from './request-id';
import { canRerun } from './dependency-retry';
import { dependencyOutage, type DependencyOutage } from './transient-failures';

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/** Errors from the body parser and Koa itself, which carry an HTTP status, mapped to our codes. */
function fromHttpError(error: HttpLikeError): ApiError | undefined {
  const status = error.status ?? error.statusCode;
  if (!status || status >= 500) return undefined;
  if (status === 413) return apiErrors.bodyTooLarge();
  if (status === 415) return apiErrors.unsupportedMediaType();
  if (error.type === 'entity.parse.failed' || status === 400) return apiErrors.notJson();
  return new ApiError(status, 'The request could not be processed', 'invalid_request');
}

/**
 * A request no route answered gets the JSON error shape like every other: an unknown path is a 404;
 * a known path asked with a method it does not serve (TRACE and other unknown methods included, which
 * the router would answer with a plain-text 501) is a 405 with `Allow`.
 */
function unansweredRequest(ctx: Context): void {
  if (ctx.status !== 404 && ctx.status !== 405 && ctx.status !== 501) return;
  const allow = ctx.response.get('Allow');
  if ((ctx.status === 405 || ctx.status === 501) && allow) {
    throw new ApiError(405, `${ctx.method} is not allowed on ${ctx.path}; use ${allow}`, 'method_not_allowed');
  }
  ctx.remove('Allow');
  throw apiErrors.routeNotFound(ctx.method, ctx.path);
}

// Outages the API sees are restarts and dropped connections: seconds, not minutes.
const OUTAGE_RETRY_AFTER_SECONDS = 2;

/** PostgreSQL or Temporal briefly away: a 503 saying how to retry. A mutation without an Idempotency-Key cannot be re-run blindly, so it says to send one. */
function outageError(ctx: Context, outage: DependencyOutage): ApiError {
  const what = outage === 'temporal' ? 'The payment engine' : 'The database';
  const code = outage === 'temporal' ? 'engine_unavailable' : 'service_unavailable';
  if (!canRerun(ctx)) {
    return ApiError.unavailable(
      `${what} was briefly unavailable while this request ran, so it may or may not have taken effect; send requests like this with an Idempotency-Key so they can be retried safely`,
      code,
    );
  }
  return ApiError.unavailable(
    `${what} is temporarily unavailable; retry the request${ctx.get('idempotency-key') ? ' with the same Idempotency-Key' : ''}`,
    code,
  );
}

/**
 * The one place errors become responses: `{ error, code, param?, request_id }`. Known errors keep their
 * status; a dependency outage is a 503 with Retry-After, logged as a warning; anything unexpected is
 * logged and answered with a 500 that reveals nothing.
 */
export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.body === undefined) unansweredRequest(ctx);
    } catch (error) {
      const outage = dependencyOutage(error);
      if (outage) {
        logger.warn({ err: error, outage, method: ctx.method, path: ctx.path, requestId: requestIdOf(ctx) }, 'dependency unavailable');
        ctx.set('Retry-After', String(OUTAGE_RETRY_AFTER_SECONDS));
      }
      const apiError = outage ? outageError(ctx, outage) : error instanceof ApiError ? error : fromHttpError(error as HttpLikeError);
      if (apiError) {
        ctx.status = apiError.status;
        ctx.body = {
          error: apiError.message,
          code: apiError.code,
          ...(apiError.param ? { param: apiError.param } : {}),
          ...apiError.details,
          request_id: requestIdOf(ctx),
        };
        return;
      }
      logger.error({ err: error, method: ctx.method, path: ctx.path, requestId: requestIdOf(ctx) }, 'unhandled error');
      ctx.status = 500;
      ctx.body = { error: 'An internal error occurred', code: 'internal_error', request_id: requestIdOf(ctx) };
    }
  };
}
