import { ApiError } from '../shared/api-error';
import { temporalUnavailable } from '../temporal/temporal-errors';

/** The dependency a failure says is briefly away: PostgreSQL or Temporal. */
export type DependencyOutage = 'database' | 'temporal';

// Connection gone or not accepted yet: admin/crash shutdown, cannot connect now (starting up), too many connections.
// Class 08 (connection exception) is matched by prefix.
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
// pg, knex and tarn say it only in words; knex and MikroORM prefix the SQL ("select 1 - Connection terminated unexpectedly").
const MESSAGES = /Connection terminated|Connection ended unexpectedly|Timeout acquiring a connection|is not queryable/;

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

function isDatabaseOutage(error: ErrorLike, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 3) return false;
  const code = typeof error.code === 'string' ? error.code : '';
  if (SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code) || SOCKET_CODES.has(code)) return true;
  if (error.name === 'ConnectionException' || error.name === 'KnexTimeoutError') return true;
  if (typeof error.message === 'string' && MESSAGES.test(error.message)) return true;
  // A refused connect to a host with several addresses is an AggregateError; wrappers keep the original as `cause`.
  const nested = [error.cause, ...(Array.isArray(error.errors) ? error.errors : [])];
  return nested.some((inner) => isDatabaseOutage(inner as ErrorLike, depth + 1));
}

/**
 * Which dependency, if any, this failure says is unreachable for now (a restart, a dropped
 * connection): running the same request again a moment later may well succeed. Business and
 * validation failures, constraint violations and bugs are not outages.
 */
export function dependencyOutage(error: unknown): DependencyOutage | undefined {
  if (error instanceof ApiError) return error.code === 'engine_unavailable' ? 'temporal' : undefined;
  if (!error || typeof error !== 'object') return undefined;
  if (temporalUnavailable(error)) return 'temporal';
  return isDatabaseOutage(error as ErrorLike) ? 'database' : undefined;
}
