import type { IncomingMessage, ServerResponse } from 'node:http';
import { modify } from './adyen-fake-modifications';
import { AdyenApiError, authorise, newPspReference, type FakeAdyenAccount, type StateContext } from './adyen-fake-state';

export type FakeAdyenOperation = 'payments' | 'captures' | 'cancels' | 'refunds' | 'technical_cancel' | 'payment_methods';

/** How late the AUTHORISATION of a lose_answer_and_notification payment comes: past any technical-cancel bound a test sets. */
const LATE_AUTHORISATION_MS = 30_000;

export interface FakeAdyenFault {
  operation: FakeAdyenOperation;
  /**
   * lose_answer_after_commit: do the work, close the connection without an answer.
   * http_500_before: answer 500, nothing done or saved. http_500_after_commit: do the work (its answer is
   * kept under the idempotency key), answer 500. rate_limit: answer 429, nothing done.
   * lose_answer_and_notification (payments): like lose_answer_after_commit, and the payment's AUTHORISATION
   * notification comes 30 s late (Adyen delays notifications but never drops them), so for a while nothing
   * tells the caller what happened (the technical-cancel path).
   */
  kind: 'lose_answer_after_commit' | 'http_500_before' | 'http_500_after_commit' | 'rate_limit' | 'lose_answer_and_notification';
  times?: number;
}

export interface FakeAdyenRequestLogEntry {
  at: number;
  method: string;
  path: string;
  operation: FakeAdyenOperation | null;
  merchantAccount: string | null;
  idempotencyKey: string | null;
  status: number | null;
  replayed: boolean;
  fault?: FakeAdyenFault['kind'];
}

export interface HttpDeps {
  ctx: StateContext;
  accountOfKey(key: string): FakeAdyenAccount | undefined;
  drawFault(operation: FakeAdyenOperation): FakeAdyenFault['kind'] | undefined;
  log: FakeAdyenRequestLogEntry[];
}

/** `/v72/payments` as the library sends it against a test base, and `/checkout/v72/...` as against a live prefix. */
const ROUTE = /^(?:\/checkout)?\/v(\d+)\/(payments|cancels|paymentMethods|payments\/([^/]+)\/(captures|cancels|refunds))$/;
const MIN_VERSION = 68;

function route(path: string): { operation: FakeAdyenOperation; psp: string | null } | undefined {
  const match = ROUTE.exec(path);
  if (!match || Number(match[1]) < MIN_VERSION) return undefined;
  if (match[4]) return { operation: match[4] as FakeAdyenOperation, psp: decodeURIComponent(match[3]) };
  return {
    operation: ({ payments: 'payments', cancels: 'technical_cancel', paymentMethods: 'payment_methods' } as const)[match[2] as 'payments'],
    psp: null,
  };
}

/** Object keys sorted, so the same request with its fields in another order is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

function run(deps: HttpDeps, account: FakeAdyenAccount, operation: FakeAdyenOperation, psp: string | null, body: Record<string, unknown>) {
  switch (operation) {
    case 'payments':
      return { status: 200, answer: authorise(deps.ctx, account, body) };
    case 'payment_methods':
      if (body.merchantAccount !== account.merchantAccount) throw new AdyenApiError(403, '901', 'Invalid Merchant Account', 'security');
      return { status: 200, answer: { paymentMethods: [{ brands: ['visa', 'mc', 'amex'], name: 'Cards', type: 'scheme' }] } };
    case 'captures':
      return { status: 201, answer: modify(deps.ctx, account, 'capture', psp, body) };
    case 'cancels':
      return { status: 201, answer: modify(deps.ctx, account, 'cancel', psp, body) };
    case 'refunds':
      return { status: 201, answer: modify(deps.ctx, account, 'refund', psp, body) };
    case 'technical_cancel':
      return { status: 201, answer: modify(deps.ctx, account, 'technical_cancel', null, body) };
  }
}

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** One Checkout API request: the key, the route, a due fault, Adyen's idempotency layer, then the work. */
export function handleCheckoutRequest(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, raw: string): void {
  const path = (req.url ?? '/').split('?')[0];
  const idempotencyKey = header(req, 'idempotency-key') ?? null;
  const entry: FakeAdyenRequestLogEntry = {
    at: deps.ctx.now(),
    method: req.method ?? 'GET',
    path,
    operation: null,
    merchantAccount: null,
    idempotencyKey,
    status: null,
    replayed: false,
  };
  deps.log.push(entry);
  const send = (status: number, answer: unknown, extra: Record<string, string> = {}) => {
    entry.status = status;
    const headers = { 'Content-Type': 'application/json;charset=UTF-8', pspReference: newPspReference(), ...extra };
    res.writeHead(status, headers).end(typeof answer === 'string' ? answer : JSON.stringify(answer));
  };
  const fail = (error: AdyenApiError) => send(error.status, error.body(newPspReference()));

  const key = header(req, 'x-api-key');
  const account = key ? deps.accountOfKey(key) : undefined;
  if (!account) return fail(new AdyenApiError(401, '000', 'HTTP Status Response - Unauthorized', 'security'));
  entry.merchantAccount = account.merchantAccount;
  const found = req.method === 'POST' ? route(path) : undefined;
  if (!found) return fail(new AdyenApiError(404, '000', 'HTTP Status Response - Not Found', 'validation'));
  entry.operation = found.operation;
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw || '{}');
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    return fail(new AdyenApiError(400, '702', 'Structure of request body is not valid JSON'));
  }
  if (idempotencyKey !== null && (idempotencyKey.length === 0 || idempotencyKey.length > 64))
    return fail(new AdyenApiError(422, '000', 'Idempotency key must be between 1 and 64 characters'));

  const fault = deps.drawFault(found.operation);
  entry.fault = fault;
  const internal = new AdyenApiError(500, '000', 'An internal error occurred', 'internal');
  if (fault === 'http_500_before') return fail(internal);
  if (fault === 'rate_limit') return fail(new AdyenApiError(429, '000', 'Too many requests', 'validation'));

  const fingerprint = canonical(body);
  const saved = idempotencyKey ? account.idempotency.get(idempotencyKey) : undefined;
  let status: number;
  let answer: string;
  if (saved) {
    if (saved.path !== path || saved.body !== fingerprint)
      return fail(new AdyenApiError(422, '704', 'request already processed or in progress', 'validation'));
    ({ status, answer } = saved);
    entry.replayed = true;
  } else {
    // The rule goes in before the work: the AUTHORISATION notification is emitted while the payment is made.
    if (fault === 'lose_answer_and_notification' && found.operation === 'payments' && typeof body.reference === 'string')
      deps.ctx.bus.addRule(
        { kind: 'delay', ms: LATE_AUTHORISATION_MS, eventCode: 'AUTHORISATION', merchantReference: body.reference },
        { first: true },
      );
    try {
      const result = run(deps, account, found.operation, found.psp, body);
      status = result.status;
      answer = JSON.stringify(result.answer);
    } catch (error) {
      if (!(error instanceof AdyenApiError)) {
        process.emitWarning(`Adyen fake: ${error instanceof Error ? error.message : String(error)}`);
        return fail(internal);
      }
      status = error.status;
      answer = JSON.stringify(error.body(newPspReference()));
    }
    if (idempotencyKey) account.idempotency.set(idempotencyKey, { path, body: fingerprint, status, answer });
  }
  const replay: Record<string, string> = idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {};
  if (fault === 'lose_answer_after_commit' || fault === 'lose_answer_and_notification') {
    entry.status = status;
    req.socket.destroy();
    return;
  }
  if (fault === 'http_500_after_commit') return fail(internal);
  send(status, answer, replay);
}
