import type { FakeAccount } from './stripe-fake-account';
import { stringParam, type FormObject } from './stripe-fake-form';
import { invalidRequest, type FakePaymentIntent } from './stripe-fake-objects';
import { optionalPositiveInteger } from './stripe-fake-refunds';

const unquoted = <T extends string | undefined>(text: T): T => text?.replace(/\\(.)/g, '$1') as T;

export interface SearchClause {
  field: string;
  /** For `metadata['key']`. */
  key?: string;
  value: string;
  negated: boolean;
}

/**
 * A Search Query Language expression of exact-match clauses joined by one kind of connective:
 * `metadata['k']:'v' AND status:'requires_capture'`, `amount:1000`, `-currency:'eur'`.
 * Undefined when the query is not of that shape (Stripe answers a parse error).
 */
export function parseSearchQuery(query: string): { clauses: SearchClause[]; connective: 'AND' | 'OR' } | undefined {
  // Quoted strings may escape a quote or backslash with a backslash, as Stripe's query language allows.
  const clause =
    /^\s*(-?)(?:metadata\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]|([a-z_]+)):(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(-?\d+))\s*/;
  const clauses: SearchClause[] = [];
  const connectives = new Set<'AND' | 'OR'>();
  let rest = query;
  for (;;) {
    const match = clause.exec(rest);
    if (!match) return undefined;
    const key = unquoted(match[2] ?? match[3]);
    clauses.push({
      negated: match[1] === '-',
      field: key !== undefined ? 'metadata' : match[4],
      key,
      value: unquoted(match[5] ?? match[6]) ?? match[7],
    });
    rest = rest.slice(match[0].length);
    if (rest.trim() === '') break;
    const connective = /^(AND|OR)\s+/.exec(rest);
    if (!connective) return undefined;
    connectives.add(connective[1] as 'AND' | 'OR');
    rest = rest.slice(connective[0].length);
  }
  if (connectives.size > 1) return undefined;
  return { clauses, connective: connectives.has('OR') ? 'OR' : 'AND' };
}

const SEARCHABLE = new Set(['metadata', 'status', 'currency', 'amount']);

/**
 * GET /v1/payment_intents/search. Stripe's search index trails its writes (its docs say by up to a
 * minute, and warn against search in read-after-write flows): PaymentIntents younger than `lagMs`
 * are not found yet.
 */
export function searchPaymentIntents(account: FakeAccount, params: FormObject, now: number, lagMs: number) {
  const query = stringParam(params, 'query');
  if (query === undefined) throw invalidRequest('Missing required param: query.', { code: 'parameter_missing', param: 'query' });
  const parsed = parseSearchQuery(query);
  if (!parsed)
    throw invalidRequest(`We were unable to parse your search query. Query: ${query}`, {
      code: 'parameter_invalid_string',
      param: 'query',
    });
  for (const clause of parsed.clauses)
    if (!SEARCHABLE.has(clause.field))
      throw invalidRequest(`Field \`${clause.field}\` is an unsupported search field for resource \`payment_intents\`.`, {
        param: 'query',
      });
  const limit = optionalPositiveInteger(stringParam(params, 'limit'), 'limit') ?? 10;
  if (limit > 100) throw invalidRequest('This value must be less than or equal to 100.', { param: 'limit' });
  const page = stringParam(params, 'page');
  const offset = page ? Number(Buffer.from(page, 'base64url').toString('utf8')) || 0 : 0;
  const matches = [...account.paymentIntents.values()]
    .filter((stored) => now - stored.createdAtMs >= lagMs)
    .map((stored) => stored.object)
    .filter((paymentIntent) => {
      const results = parsed.clauses.map((clause) => matchesClause(paymentIntent, clause));
      return parsed.connective === 'AND' ? results.every(Boolean) : results.some(Boolean);
    })
    .reverse();
  const data = matches.slice(offset, offset + limit);
  const hasMore = matches.length > offset + limit;
  return {
    object: 'search_result',
    data,
    has_more: hasMore,
    next_page: hasMore ? Buffer.from(String(offset + limit)).toString('base64url') : null,
    url: '/v1/payment_intents/search',
  };
}

function matchesClause(paymentIntent: FakePaymentIntent, clause: SearchClause): boolean {
  let actual: string | undefined;
  if (clause.field === 'metadata') actual = paymentIntent.metadata[clause.key as string];
  else if (clause.field === 'amount') actual = String(paymentIntent.amount);
  else actual = String(paymentIntent[clause.field as 'status' | 'currency']);
  return (actual === clause.value) !== clause.negated;
}
