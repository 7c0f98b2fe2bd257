import type { Context } from 'koa';

/** Who made an authenticated request: a merchant through one of its keys, or the platform admin. */
export type Caller =
  | {
      kind: 'merchant';
      merchantId: string;
      /** The API key's id; for an OAuth access token, its client's (oc_...), so limits and the audit log count per client. */
      keyId: string;
      keyPrefix: string;
      keyLast4: string;
      /** Set when the request bore an OAuth access token instead of a secret key. */
      oauth?: { clientId: string; tokenId: string; scopes: string[] };
    }
  | { kind: 'admin' };

interface CallerState {
  caller?: Caller;
  /** The matched route's pattern and operation, for the audit log; whether it honours an Idempotency-Key, for re-runs. */
  route?: { path: string; operationId: string; idempotent?: boolean };
}

/** Remembers the authenticated caller for the rest of the request (rate limits, the audit log, key rotation). */
export function setCaller(ctx: Context, caller: Caller): void {
  (ctx.state as CallerState).caller = caller;
}

export function callerOf(ctx: Context): Caller | undefined {
  return (ctx.state as CallerState).caller;
}

export function setMatchedRoute(ctx: Context, route: { path: string; operationId: string; idempotent?: 'create' | 'update' }): void {
  (ctx.state as CallerState).route = { path: route.path, operationId: route.operationId, idempotent: route.idempotent !== undefined };
}

export function matchedRouteOf(ctx: Context): { path: string; operationId: string; idempotent?: boolean } | undefined {
  return (ctx.state as CallerState).route;
}
