import type { ZodType, core } from 'zod';
import { ApiError, apiErrors } from '../shared/api-error';

type Location = 'body' | 'query' | 'path';

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function paramName(path: PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `[${String(part)}]`)).join('');
}

/** Turns the first schema issue into a 400 naming the field, in the contract's `{ "error": ... }` shape. */
export function issueToApiError(issue: core.$ZodIssue, input: unknown, location: Location): ApiError {
  if (issue.code === 'unrecognized_keys') {
    const key = paramName([...issue.path, issue.keys[0]]);
    // A key may be empty (`?=x`, `{"": 1}`): say so, or the message names nothing.
    const named = issue.keys[0] === '' ? `${key || 'a parameter'} with an empty name` : key;
    return ApiError.badRequest(`Received unknown parameter: ${named}`, 'parameter_unknown', key);
  }
  const param = paramName(issue.path);
  if (valueAt(input, issue.path) === undefined && issue.path.length > 0) {
    return apiErrors.missingParameter(param, `Missing required param: ${param}`);
  }
  const where = location === 'body' ? '' : ` (${location})`;
  if (
    issue.code === 'custom' ||
    issue.code === 'too_small' ||
    issue.code === 'too_big' ||
    issue.code === 'invalid_format' ||
    issue.code === 'invalid_value'
  ) {
    return ApiError.badRequest(`Invalid ${param || 'request'}${where}: ${issue.message}`, 'parameter_invalid', param || undefined);
  }
  if (issue.path.length === 0) return ApiError.badRequest('The request body must be a JSON object', 'invalid_request_body');
  return apiErrors.invalidParameter(param, `Invalid ${param}${where}: ${describeExpected(issue)}`);
}

function describeExpected(issue: core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  if (issue.code === 'invalid_union') {
    const expected = issue.errors.flat().flatMap((inner) => (inner.code === 'invalid_type' ? [inner.expected] : []));
    if (expected.length > 0) return `expected ${[...new Set(expected)].join(' or ')}`;
  }
  return issue.message;
}

interface Visit {
  value: unknown;
  key?: PropertyKey;
  parent?: Visit;
}

// PostgreSQL text cannot hold a NUL character: a string with one would fail its query with a 500, so it is refused here.
// Iterative, with paths built only for the culprit, so a deeply nested body costs linear time and no stack.
function nulCharacterPath(input: unknown): PropertyKey[] | undefined {
  const pathOf = (visit: Visit) => {
    const path: PropertyKey[] = [];
    for (let at: Visit | undefined = visit; at?.parent; at = at.parent) path.push(at.key as PropertyKey);
    return path.reverse();
  };
  const pending: Visit[] = [{ value: input }];
  for (let visit = pending.pop(); visit; visit = pending.pop()) {
    const { value } = visit;
    if (typeof value === 'string' && value.includes('\u0000')) return pathOf(visit);
    if (value === null || typeof value !== 'object') continue;
    for (const [key, child] of Object.entries(value)) {
      const next = { value: child, key: Array.isArray(value) ? Number(key) : key, parent: visit };
      if (key.includes('\u0000')) return pathOf(next);
      pending.push(next);
    }
  }
  return undefined;
}

/** Parses input with a schema or throws the 400 for its first issue. */
export function parseOrThrow<T>(schema: ZodType<T, any>, input: unknown, location: Location): T {
  const nul = nulCharacterPath(input);
  if (nul) {
    const param = paramName(nul);
    throw ApiError.badRequest(
      `Invalid ${param || 'request'}${location === 'body' ? '' : ` (${location})`}: must not contain NUL (\\u0000) characters`,
      'parameter_invalid',
      param || undefined,
    );
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const ordered = [...result.error.issues].sort((a, b) => rank(a, input) - rank(b, input));
  throw issueToApiError(ordered[0], input, location);
}

// Report a missing field before an unknown one, and both before a malformed value: the most actionable first.
function rank(issue: core.$ZodIssue, input: unknown): number {
  if (issue.path.length > 0 && valueAt(input, issue.path) === undefined) return 0;
  if (issue.code === 'unrecognized_keys') return 1;
  return 2;
}
