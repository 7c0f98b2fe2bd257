import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBase62 } from '../../shared/ids';
import type { FakeAccount, FakeContext, SavedAnswer } from './stripe-fake-account';
import type { FakeEventBus } from './stripe-fake-events';
import type { FakeFaultKind, FakeFaults, FakeOperation } from './stripe-fake-faults';
import { canonicalForm, parseForm } from './stripe-fake-form';
import { FakeApiError, apiErrorBody, rateLimitBody, type StripeErrorBody } from './stripe-fake-objects';
import { expandAnswer, findRoute } from './stripe-fake-routes';

export interface FakeRequestLogEntry {
  at: number;
  method: string;
  path: string;
  operation: FakeOperation | null;
  /** The Stripe account the key belongs to (never the key). */
  account: string | null;
  idempotencyKey: string | null;
  /** The status sent, or that would have been sent when the answer was lost; null when nothing was done. */
  status: number | null;
  outcome: 'answered' | 'lost' | 'truncated' | 'refused';
  replayed: boolean;
  fault?: FakeFaultKind;
}

export interface HandlerDeps {
  ctx: FakeContext;
  events: FakeEventBus;
  faults: FakeFaults;
  log: FakeRequestLogEntry[];
  accountOfKey(key: string): { account: FakeAccount; revoked: boolean } | undefined;
  apiVersion: string;
  searchLagMs: number;
  idempotencyKeyTtlMs: number;
}

type Answer = { status: number; body: string; replayed: boolean; originalRequest: string };

/**
 * One Stripe API request: authentication, the route, its fault if one is due, Stripe's idempotency
 * layer (a first answer saved and replayed; the same key with other parameters refused), then the answer.
 */
export async function handleApiRequest(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse, rawBody: string): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://stripe-fake');
  const method = req.method ?? 'GET';
  const requestId = `req_${randomBase62(14)}`;
  const idempotencyKey = headerOf(req, 'idempotency-key') ?? null;
  const entry: FakeRequestLogEntry = {
    at: deps.ctx.now(),
    method,
    path: url.pathname,
    operation: null,
    account: null,
    idempotencyKey,
    status: null,
    outcome: 'answered',
    replayed: false,
  };
  deps.log.push(entry);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, no-store',
    'Request-Id': requestId,
    'Stripe-Version': headerOf(req, 'stripe-version') ?? deps.apiVersion,
    ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}),
  };
  const sendError = (status: number, error: StripeErrorBody) => {
    entry.status = status;
    res.writeHead(status, headers).end(JSON.stringify({ error }, null, 2));
  };

  const key = apiKeyOf(req);
  const auth = key ? deps.accountOfKey(key) : undefined;
  if (!key) return sendError(401, { type: 'invalid_request_error', message: MISSING_KEY });
  if (!auth) return sendError(401, { type: 'invalid_request_error', message: `Invalid API Key provided: ${maskKey(key)}` });
  if (auth.revoked)
    return sendError(401, { type: 'invalid_request_error', code: 'api_key_expired', message: `Expired API Key provided: ${maskKey(key)}` });
  const account = auth.account;
  entry.account = account.id;
  const found = findRoute(method, url.pathname);
  if (!found)
    return sendError(404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    });
  entry.operation = found.route.operation;
  const params = parseForm(method === 'POST' ? rawBody : url.search.slice(1));

  const fault = deps.faults.draw(found.route.operation, idempotencyKey);
  entry.fault = fault?.kind;
  if (fault?.kind === 'connection_refused_before') {
    entry.outcome = 'refused';
    req.socket.destroy();
    return;
  }
  if (fault?.kind === 'http_500_before') return sendError(500, apiErrorBody());
  if (fault?.kind === 'rate_limit') return sendError(429, rateLimitBody());

  // Stripe keys only POSTs: GETs are idempotent already and ignore the header.
  const saveKey = method === 'POST' ? idempotencyKey : null;
  const canonical = canonicalForm(params);
  const previous = saveKey ? savedAnswer(deps, account, saveKey, method, url.pathname, canonical) : undefined;
  if (previous && 'error' in previous) return sendError(previous.status, previous.error);
  // Claimed before any delay, so a retry that overtakes a slow first request meets 409 instead of running twice.
  if (saveKey && !previous) account.idempotency.set(saveKey, 'in_progress');
  if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
  let answer: Answer;
  if (previous) answer = previous;
  else {
    const { status, body, saved } = run(deps, account, found, params, { id: requestId, idempotencyKey: saveKey });
    answer = { status, body, replayed: false, originalRequest: requestId };
    if (saveKey) {
      if (saved) {
        // The work is done; a 500 after it is what Stripe's idempotency layer keeps and replays from now on.
        const failed = fault?.kind === 'http_500_after_commit';
        const record: SavedAnswer = {
          method,
          path: url.pathname,
          params: canonical,
          status: failed ? 500 : status,
          body: failed ? INTERNAL_ERROR : body,
          requestId,
          savedAt: deps.ctx.now(),
        };
        account.idempotency.set(saveKey, record);
      } else account.idempotency.delete(saveKey);
    }
  }
  if (fault?.kind === 'http_500_after_commit') answer = { ...answer, status: 500, body: INTERNAL_ERROR };
  entry.status = answer.status;
  entry.replayed = answer.replayed;
  headers['Original-Request'] = answer.originalRequest;
  if (answer.replayed) headers['Idempotent-Replayed'] = 'true';
  if (fault?.kind === 'lose_answer_after_commit') {
    entry.outcome = 'lost';
    req.socket.destroy();
    return;
  }
  if (fault?.kind === 'truncate_answer_after_commit') {
    entry.outcome = 'truncated';
    res.writeHead(answer.status, { ...headers, 'Content-Length': String(Buffer.byteLength(answer.body)) });
    res.write(answer.body.slice(0, Math.floor(answer.body.length / 2)), () => req.socket.destroy());
    return;
  }
  res.writeHead(answer.status, headers).end(answer.body);
}

/** The answer saved under a key, or Stripe's refusal of the key; undefined when the key is new (or forgotten). */
function savedAnswer(
  deps: HandlerDeps,
  account: FakeAccount,
  key: string,
  method: string,
  path: string,
  params: string,
): Answer | { status: number; error: StripeErrorBody } | undefined {
  const saved = account.idempotency.get(key);
  if (saved === 'in_progress') return { status: 409, error: keyInUse(key) };
  // Stripe forgets a key after 24 hours: the same key then runs the request anew.
  if (!saved || deps.ctx.now() - saved.savedAt >= deps.idempotencyKeyTtlMs) return undefined;
  const retry = `Try using a key other than '${key}' if you meant to execute a different request.`;
  if (saved.method !== method || saved.path !== path)
    return {
      status: 400,
      error: {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${saved.method} ${saved.path}' vs '${method} ${path}'). ${retry}`,
      },
    };
  if (saved.params !== params)
    return {
      status: 400,
      error: {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. ${retry}`,
      },
    };
  return { status: saved.status, body: saved.body, replayed: true, originalRequest: saved.requestId };
}

function run(
  deps: HandlerDeps,
  account: FakeAccount,
  found: NonNullable<ReturnType<typeof findRoute>>,
  params: ReturnType<typeof parseForm>,
  request: { id: string; idempotencyKey: string | null },
): { status: number; body: string; saved: boolean } {
  try {
    const value = found.route.run({
      ctx: deps.ctx,
      account,
      params,
      id: found.id,
      request,
      events: deps.events,
      searchLagMs: deps.searchLagMs,
    });
    return { status: 200, body: JSON.stringify(expandAnswer(value, params, account), null, 2), saved: true };
  } catch (error) {
    if (!(error instanceof FakeApiError)) {
      // A fault of the fake itself: answered as Stripe answers its own faults, and not saved.
      return { status: 500, body: INTERNAL_ERROR, saved: false };
    }
    const body = { ...error.body, request_log_url: `https://dashboard.stripe.com/${account.livemode ? '' : 'test/'}logs/${request.id}` };
    return { status: error.status, body: JSON.stringify({ error: body }, null, 2), saved: error.saved };
  }
}

const INTERNAL_ERROR = JSON.stringify({ error: apiErrorBody() }, null, 2);

const MISSING_KEY =
  "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.";

function keyInUse(key: string): StripeErrorBody {
  return {
    type: 'invalid_request_error',
    code: 'idempotency_key_in_use',
    message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
  };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Bearer auth as the SDK sends it, or Basic with the key as user name as curl's `-u sk_test_...:` does. */
function apiKeyOf(req: IncomingMessage): string | undefined {
  const header = headerOf(req, 'authorization');
  if (!header) return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+(\S+)\s*$/i.exec(header);
  return basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0] || undefined : undefined;
}

/** A key as Stripe shows a wrong one back: its mode prefix and last four characters only. */
export function maskKey(key: string): string {
  const prefix = /^[a-z]{2}_(?:test|live)_/.exec(key)?.[0] ?? '';
  const rest = key.slice(prefix.length);
  return `${prefix}${'*'.repeat(Math.max(4, rest.length - 4))}${rest.length > 8 ? rest.slice(-4) : ''}`;
}
