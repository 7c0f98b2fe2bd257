import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { MerchantService } from '../merchants/merchant-service';
import type { Merchant } from '../merchants/merchant-record';
import type { OAuthTokenService } from '../oauth/oauth-token-service';
import { ApiError, apiErrors } from '../shared/api-error';
import type { Orm } from '../db/orm';
import { claimIdempotencyKey, IDEMPOTENCY_KEY_MAX_LENGTH, releaseIdempotencyKey, requestHash } from '../idempotency/idempotency-keys';
import { authenticateAdmin, authenticateMerchant } from './auth';
import { callerOf, setMatchedRoute } from './caller';
import type { RateLimiter } from './rate-limiter';
import type { ApiRoute } from './route';
import { readTextBody } from './raw-body';
import { parseOrThrow } from './validation';

export interface MountDeps {
  merchants: MerchantService;
  /** Accepts OAuth access tokens where a secret key is accepted; none when absent. */
  oauthTokens?: OAuthTokenService;
  /** Where the Idempotency-Keys of `idempotent: 'update'` routes are claimed. */
  orm: Orm;
  adminApiKey?: string;
  /** Per-key (per-address when unauthenticated) request limits; none when absent. */
  rateLimiter?: RateLimiter;
}

const emptyObject = z.strictObject({});
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

function idempotencyKeyOf(ctx: Context): string | undefined {
  const key = ctx.get('idempotency-key');
  if (key === '') return undefined;
  if (key.length > IDEMPOTENCY_KEY_MAX_LENGTH || !PRINTABLE_ASCII.test(key)) {
    throw ApiError.badRequest(
      `Invalid Idempotency-Key: use 1-${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters, such as a UUID`,
      'parameter_invalid',
      'Idempotency-Key',
    );
  }
  return key;
}

async function requestBody(ctx: Context, route: ApiRoute): Promise<unknown> {
  const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
  const raw = route.rawBody;
  // The JSON body parser leaves other media types unread: a route that accepts one reads it here, under its own limit.
  if (hasBody && raw && ctx.is(raw.mediaType)) {
    const text = await readTextBody(ctx, raw.limitBytes);
    return raw.mediaType === 'application/x-www-form-urlencoded' ? formFields(text) : { [raw.field]: text };
  }
  if (hasBody && !ctx.is('application/json')) {
    throw apiErrors.unsupportedMediaType(`Content-Type must be application/json${raw ? ` or ${raw.mediaType}` : ''}`);
  }
  return (ctx.request as { body?: unknown }).body ?? {};
}

/** A form body's fields; a name sent twice becomes an array, which a schema of strings then refuses naming it. */
function formFields(text: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    const earlier = fields[name];
    fields[name] = earlier === undefined ? value : [...(Array.isArray(earlier) ? earlier : [earlier]), value];
  }
  return fields;
}

interface ClaimedUpdateKey {
  updateId: string;
  /** Gives the key back when the request is refused (404, 400, 409...): a refused request writes nothing. */
  release(): Promise<void>;
}

/**
 * For an action on an existing resource's workflow sent with an Idempotency-Key: claims the key for
 * this request (a merchant's keys are one namespace with its creates'; another body is a 422) and
 * returns the workflow update id it becomes. Temporal runs an update id once per workflow and answers a
 * repeat with the first outcome, even after the workflow closed, so a retry never acts twice.
 */
async function claimUpdateKey(
  ctx: Context,
  route: ApiRoute,
  orm: Orm,
  key: string,
  resourceId: string,
  merchant: Merchant | undefined,
  body: unknown,
): Promise<ClaimedUpdateKey> {
  const request = body ?? {};
  const hash = requestHash(ctx.method, ctx.path, request);
  // The admin's keys are not claimed (they belong to no merchant): the request's hash in the id keeps a
  // key reused with another body from being answered with the first body's outcome.
  const updateId = `${route.operationId}:${key}:${hash.slice(0, 16)}`;
  if (!merchant) return { updateId, release: async () => undefined };
  const claim = await claimIdempotencyKey(orm.em.fork(), {
    merchantId: merchant.id,
    key,
    method: ctx.method,
    path: ctx.path,
    request,
    newResourceId: resourceId,
    now: new Date(),
  });
  return {
    updateId,
    release: async () => {
      if (claim.replay) return;
      await releaseIdempotencyKey(orm.em.fork(), { merchantId: merchant.id, key, requestHash: hash });
    },
  };
}

/** One token from the caller's bucket: its API key's, the admin's, or (unauthenticated) its address's; else 429 with Retry-After. */
function enforceRateLimit(ctx: Context, route: ApiRoute, limiter: RateLimiter | undefined): void {
  if (!limiter || route.exemptFromRateLimit) return;
  const caller = callerOf(ctx);
  const decision = limiter.take(caller?.kind === 'merchant' ? `key:${caller.keyId}` : caller?.kind === 'admin' ? 'admin' : `ip:${ctx.ip}`);
  if (decision.allowed) return;
  ctx.set('Retry-After', String(decision.retryAfterSeconds));
  throw new ApiError(429, `Too many requests: retry after ${decision.retryAfterSeconds} s`, 'rate_limited');
}

/** Registers each route with its authentication, rate limit and validation, in the order: auth, limit, path, query, body. */
export function mountRoutes(router: Router, routes: ApiRoute[], deps: MountDeps): void {
  for (const route of routes) {
    // The key of an action is claimed for the resource it acts on.
    if (route.idempotent === 'update' && !route.path.includes('/:id'))
      throw new Error(`${route.operationId}: an idempotent 'update' route needs an :id path parameter`);
    router[route.method](route.path, async (ctx) => {
      setMatchedRoute(ctx, route);
      if (route.responseHeaders) ctx.set(route.responseHeaders);
      let merchant: Merchant | undefined;
      try {
        if (route.auth === 'merchant') merchant = await authenticateMerchant(ctx, deps.merchants, deps.oauthTokens);
        if (route.auth === 'admin') authenticateAdmin(ctx, deps.adminApiKey);
      } catch (error) {
        // Failed attempts count against the client's address, so guessing keys is throttled too.
        if (error instanceof ApiError && error.status === 401) enforceRateLimit(ctx, route, deps.rateLimiter);
        throw error;
      }
      enforceRateLimit(ctx, route, deps.rateLimiter);
      const params = route.params ? parseOrThrow(route.params, ctx.params, 'path') : {};
      const query = parseOrThrow(route.query ?? emptyObject, { ...ctx.query }, 'query');
      const body = route.body ? parseOrThrow(route.body, await requestBody(ctx, route), 'body') : undefined;
      const idempotencyKey = route.idempotent ? idempotencyKeyOf(ctx) : undefined;
      const claimed =
        route.idempotent === 'update' && idempotencyKey
          ? await claimUpdateKey(ctx, route, deps.orm, idempotencyKey, (params as { id: string }).id, merchant, body)
          : undefined;
      let result;
      try {
        result = await route.handle(
          { body, query, params, merchant: merchant as Merchant, idempotencyKey, updateId: claimed?.updateId, requestPath: ctx.path },
          ctx,
        );
      } catch (error) {
        // An outage keeps the key: the request is re-run, or retried by the client, with it.
        if (claimed && error instanceof ApiError && error.status < 500) await claimed.release();
        throw error;
      }
      ctx.status = result.status;
      ctx.body = result.body;
    });
  }
}
