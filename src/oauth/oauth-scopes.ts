/** Every scope a client may hold, with what it allows: the one list the API, its checks and its documents read. */
export const OAUTH_SCOPES = {
  'payments:read':
    'Read payments, checkout sessions and the currency catalogue (GET /v1/payments, /v1/checkout_sessions, /v1/currencies and below).',
  'payments:write':
    'Create, capture, cancel and review payments, and create and expire checkout sessions (POST /v1/payments, /v1/checkout_sessions and below).',
  'refunds:write': 'Create refunds (POST /v1/refunds).',
  'payouts:read': 'Read payouts and the automatic payout settings (GET /v1/payouts and below, GET /v1/payout_schedule).',
  'payouts:write':
    'Create and cancel payouts, and change the automatic payout settings (POST /v1/payouts and below, POST /v1/payout_schedule).',
  'webhooks:write': 'Manage webhook endpoints (every method on /v1/webhook_endpoints and below).',
} as const;

export type OAuthScope = keyof typeof OAUTH_SCOPES;

export const SCOPE_NAMES = Object.keys(OAUTH_SCOPES) as [OAuthScope, ...OAuthScope[]];

interface ScopeRule {
  /** An HTTP method, or '*' for every method. */
  method: string;
  /** The route pattern's prefix, as mounted (`/v1/payments` covers `/v1/payments/:id/capture`). */
  pathPrefix: string;
  scope: OAuthScope;
}

/**
 * The one table of what an access token may call: the first rule matching the route decides the
 * scope it needs. A route no rule matches is for secret API keys only (a token gets 403).
 */
export const SCOPE_RULES: readonly ScopeRule[] = [
  { method: 'GET', pathPrefix: '/v1/payments', scope: 'payments:read' },
  { method: 'POST', pathPrefix: '/v1/payments', scope: 'payments:write' },
  { method: 'GET', pathPrefix: '/v1/checkout_sessions', scope: 'payments:read' },
  { method: 'POST', pathPrefix: '/v1/checkout_sessions', scope: 'payments:write' },
  { method: 'GET', pathPrefix: '/v1/currencies', scope: 'payments:read' },
  { method: 'POST', pathPrefix: '/v1/refunds', scope: 'refunds:write' },
  { method: 'GET', pathPrefix: '/v1/payouts', scope: 'payouts:read' },
  { method: 'POST', pathPrefix: '/v1/payouts', scope: 'payouts:write' },
  { method: 'GET', pathPrefix: '/v1/payout_schedule', scope: 'payouts:read' },
  { method: 'POST', pathPrefix: '/v1/payout_schedule', scope: 'payouts:write' },
  { method: '*', pathPrefix: '/v1/webhook_endpoints', scope: 'webhooks:write' },
];

const underPrefix = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/** The scope a token needs for this route (its mounted pattern), or undefined when tokens may not call it at all. */
export function requiredScope(method: string, routePath: string): OAuthScope | undefined {
  const upper = method.toUpperCase();
  return SCOPE_RULES.find((rule) => (rule.method === '*' || rule.method === upper) && underPrefix(routePath, rule.pathPrefix))?.scope;
}

/** A space-separated scope string (RFC 6749 §3.3) as a set of names; unknown names are returned as they are, for the caller to refuse. */
export function parseScope(scope: string): string[] {
  return [...new Set(scope.split(' ').filter((name) => name !== ''))];
}

export function isKnownScope(name: string): name is OAuthScope {
  return Object.hasOwn(OAUTH_SCOPES, name);
}
