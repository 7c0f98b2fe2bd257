import Router from '@koa/router';
import type { Context } from 'koa';
import { secretsEqual } from '../merchants/api-keys';
import { ApiError } from '../shared/api-error';
import { MetricRegistry } from './metric-registry';
import { registry as defaultRegistry } from './metrics';

export interface MetricsAccess {
  /** The platform admin key, always accepted. */
  adminApiKey?: string;
  /** A scrape-only token (METRICS_TOKEN), so Prometheus need not hold the admin key. */
  metricsToken?: string;
}

/** Whether the request carries the admin key or the metrics token as a Bearer token. */
export function metricsAuthorized(authorization: string | undefined, access: MetricsAccess): boolean {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!token) return false;
  return [access.adminApiKey, access.metricsToken].some((secret) => secret !== undefined && secretsEqual(token, secret));
}

/** `GET /metrics`: the Prometheus text exposition (0.0.4), for the admin key or METRICS_TOKEN. */
export function createMetricsRouter(access: MetricsAccess, registry: MetricRegistry = defaultRegistry): Router {
  const router = new Router();
  router.get('/metrics', (ctx: Context) => {
    if (!metricsAuthorized(ctx.get('authorization'), access))
      throw ApiError.unauthorized('Send the admin key or METRICS_TOKEN as "Authorization: Bearer <token>"');
    ctx.type = MetricRegistry.CONTENT_TYPE;
    ctx.body = registry.render();
  });
  return router;
}
