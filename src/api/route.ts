import type { ParameterizedContext } from 'koa';
import type { ZodType } from 'zod';
import type { Merchant } from '../merchants/merchant-record';

export type AuthKind = 'merchant' | 'admin' | 'none';

export interface RouteInput<Body, Query, Params> {
  body: Body;
  query: Query;
  params: Params;
  /** Set on merchant-authenticated routes. */
  merchant: Merchant;
  idempotencyKey?: string;
  /**
   * On `idempotent: 'update'` routes sent with an Idempotency-Key: the id to give the workflow update, so a
   * repeat (a retry, a re-run after an outage, a copy racing the first) joins or returns the first update.
   */
  updateId?: string;
  requestPath: string;
}

export interface RouteResult {
  status: number;
  body: unknown;
}

/** A non-JSON request body a route accepts besides JSON: its text becomes `body[field]`, validated by the route's body schema like JSON. */
export interface RawBodySpec {
  /** A form body is parsed into the body schema's fields (a repeated name becomes an array); text/csv becomes `body[field]`. */
  mediaType: 'text/csv' | 'application/x-www-form-urlencoded';
  field: string;
  /** Largest body accepted, in bytes; JSON bodies keep the app-wide limit. */
  limitBytes: number;
  description: string;
}

export interface ResponseSpec {
  description: string;
  schema?: ZodType;
  /** Non-JSON bodies the response may be sent as instead, by media type (e.g. `text/csv`), each described in words. */
  otherContent?: Record<string, string>;
}

/**
 * One endpoint: its schemas validate requests and, unchanged, describe it in /openapi.json, so
 * the two cannot drift. Handlers stay thin: validated input in, one service call, a result out.
 */
export interface ApiRoute<Body = unknown, Query = unknown, Params = unknown> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  auth: AuthKind;
  /**
   * Accepts an Idempotency-Key header. `create`: the service claims the key for the resource it creates
   * and a repeat finds that resource. `update`: an action on an existing resource's workflow; the key is
   * claimed here for this request (reused with another body: 422) and becomes the workflow update's id.
   */
  idempotent?: 'create' | 'update';
  /** Set on every answer of the route, errors included (the OAuth token endpoint's Cache-Control: no-store). */
  responseHeaders?: Record<string, string>;
  /** Not counted by the per-key rate limit (health checks). */
  exemptFromRateLimit?: boolean;
  body?: ZodType<Body, any>;
  /** Also accepts this media type as the body. */
  rawBody?: RawBodySpec;
  query?: ZodType<Query, any>;
  params?: ZodType<Params, any>;
  responses: Record<number, ResponseSpec>;
  handle(input: RouteInput<Body, Query, Params>, ctx: ParameterizedContext): Promise<RouteResult>;
}

/** Keeps each route's input types inferred from its schemas. */
export function defineRoute<Body, Query, Params>(route: ApiRoute<Body, Query, Params>): ApiRoute {
  return route as unknown as ApiRoute;
}
