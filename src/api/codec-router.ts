import { createHmac } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { secretsEqual } from '../merchants/api-keys';
import { ApiError, apiErrors } from '../shared/api-error';
import { PayloadDecryptionError } from '../temporal/payload-codec';
import { readTextBody } from './raw-body';
import { parseOrThrow } from './validation';

export interface CodecRouterDeps {
  codec: PayloadCodec;
  adminApiKey?: string;
  /** Temporal UI origins allowed to call from a browser (TEMPORAL_UI_ORIGIN). */
  allowedOrigins: string[];
}

// A history's payloads can be far larger than an API request: Temporal accepts blobs of 2 MB.
const BODY_LIMIT_BYTES = 4 * 1024 * 1024;
// What the Temporal UI sends: JSON, its namespace, and its user's access token when "pass access token" is on.
const ALLOWED_HEADERS = 'authorization, content-type, x-namespace';
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

const base64 = z.string().regex(BASE64, 'must be base64');
const payloadsBody = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })).max(10_000),
});

/**
 * The secret the Temporal UI can carry in its codec endpoint URL (`<api>/codec/<token>`): the UI
 * cannot send our admin key, only its own OIDC token, so the dev launcher configures the embedded
 * UI with this. Derived from the admin key, so it rotates with it and needs no storage; it grants
 * nothing but the codec.
 */
export function codecAccessToken(adminApiKey: string): string {
  return createHmac('sha256', adminApiKey).update('ledgerflow-temporal-codec').digest('hex');
}

const toJson = (payload: Payload) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
  data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
});

const fromJson = (payload: z.infer<typeof payloadsBody>['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
  data: Buffer.from(payload.data ?? '', 'base64'),
});

/**
 * The Temporal codec server protocol for the Temporal UI and CLI: `POST /codec/decode` and
 * `/codec/encode` with `{ payloads: [{ metadata, data }] }` (protobuf JSON, bytes in base64).
 * Ops only: the admin key as Bearer, or the codec token in the path or as Bearer. Kept out of the
 * /v1 route list and the OpenAPI document: it is not merchant API and follows Temporal's protocol.
 */
export function createCodecRouter(deps: CodecRouterDeps): Router {
  const router = new Router();
  const allowed = new Set(deps.allowedOrigins);

  const cors = (ctx: Context) => {
    const origin = ctx.get('origin');
    ctx.vary('Origin');
    if (!origin || !allowed.has(origin)) return;
    ctx.set('Access-Control-Allow-Origin', origin);
    // For the UI's "include cross-origin credentials" setting; never with a wildcard origin.
    ctx.set('Access-Control-Allow-Credentials', 'true');
  };

  const authorize = (ctx: Context, pathToken: string | undefined) => {
    const adminKey = deps.adminApiKey;
    if (!adminKey) throw ApiError.unauthorized('The codec endpoint needs ADMIN_API_KEY to be configured');
    const token = codecAccessToken(adminKey);
    if (pathToken !== undefined) {
      if (secretsEqual(pathToken, token)) return;
      throw ApiError.unauthorized('Invalid codec token in the URL');
    }
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'))?.[1];
    if (!bearer) throw ApiError.unauthorized('No key provided: send "Authorization: Bearer <admin key>"');
    if (!secretsEqual(bearer, adminKey) && !secretsEqual(bearer, token)) throw ApiError.unauthorized('Invalid admin API key provided');
  };

  const convert = async (ctx: Context, action: string, pathToken?: string) => {
    if (pathToken !== undefined) ctx.state.logPath = `/codec/[token]/${action}`;
    cors(ctx);
    if (action !== 'encode' && action !== 'decode') throw apiErrors.routeNotFound(ctx.method, ctx.state.logPath ?? ctx.path);
    authorize(ctx, pathToken);
    if (!ctx.is('application/json')) throw apiErrors.unsupportedMediaType();
    let json: unknown;
    try {
      json = JSON.parse(await readTextBody(ctx, BODY_LIMIT_BYTES));
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw apiErrors.notJson();
    }
    const { payloads } = parseOrThrow(payloadsBody, json, 'body');
    const converted: Payload[] = [];
    // One at a time, so an undecryptable payload is named by its index.
    for (const [index, payload] of payloads.entries()) {
      try {
        const [result] = action === 'decode' ? await deps.codec.decode([fromJson(payload)]) : await deps.codec.encode([fromJson(payload)]);
        converted.push(result);
      } catch (error) {
        if (error instanceof PayloadDecryptionError) throw ApiError.badRequest(error.message, error.code, `payloads[${index}]`);
        throw error;
      }
    }
    ctx.body = { payloads: converted.map(toJson) };
  };

  const preflight = (ctx: Context) => {
    cors(ctx);
    ctx.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
    ctx.set('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    ctx.set('Access-Control-Max-Age', '600');
    ctx.status = 204;
  };

  router.options('/codec/:action', preflight);
  router.options('/codec/:token/:action', (ctx) => {
    ctx.state.logPath = `/codec/[token]/${ctx.params.action}`;
    preflight(ctx);
  });
  router.post('/codec/:action', (ctx) => convert(ctx, ctx.params.action));
  router.post('/codec/:token/:action', (ctx) => convert(ctx, ctx.params.action, ctx.params.token));
  return router;
}
