/**
 * Stripe's request encoding for the fake: form bodies and query strings with bracketed keys
 * (`metadata[ledgerflow_payment_id]`, `card[number]`, `expand[0]`) read into nested objects, a
 * canonical form of them for idempotency comparisons.
 */

export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

/** Reads `a[b][c]=v` pairs into `{ a: { b: { c: 'v' } } }`; numeric or empty brackets make arrays. */
export function parseForm(text: string): FormObject {
  const root: FormObject = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey);
    if (!match) continue;
    const path = [match[1], ...[...match[2].matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1])];
    let node: FormObject = root;
    for (let i = 0; i < path.length - 1; i++) {
      const next = node[path[i]];
      if (typeof next === 'object' && next !== null) node = next as FormObject;
      else node = node[path[i]] = {};
    }
    const last = path[path.length - 1];
    node[last === '' ? String(Object.keys(node).length) : last] = value;
  }
  return arraysFromIndexedObjects(root) as FormObject;
}

function arraysFromIndexedObjects(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const converted = Object.fromEntries(keys.map((key) => [key, arraysFromIndexedObjects(value[key])]));
  if (keys.length > 0 && keys.every((key) => /^\d+$/.test(key))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((key) => converted[key]);
  }
  return converted;
}

/** Parameters in a canonical order, so a retry that encodes the same parameters differently still matches. */
export function canonicalForm(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalForm).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalForm(value[key])}`).join(',')}}`;
}

export function stringParam(params: FormObject, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' ? value : undefined;
}

export function objectParam(params: FormObject, name: string): FormObject | undefined {
  const value = params[name];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}

/** String-valued entries of an object parameter (`metadata`), as Stripe stores them. */
export function stringMap(value: FormValue | undefined): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export function listParam(params: FormObject, name: string): string[] {
  const value = params[name];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
