import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { IdempotencyKeyRepository } from './idempotency-repository';
import { ApiError } from '../shared/api-error';

/** The Idempotency-Key of a request, with what it was sent to. */
export interface IdempotencyContext {
  key: string;
  method: string;
  path: string;
}

export interface IdempotencyClaim {
  merchantId: string;
  key: string;
  method: string;
  path: string;
  /** The normalized request, hashed: 100, "100" and "100.00" are one request. */
  request: unknown;
  /** The id the resource gets if this request is the first with the key. */
  newResourceId: string;
  now: Date;
}

export interface ClaimedKey {
  resourceId: string;
  createdAt: Date;
  /** True when an earlier request already holds the key. */
  replay: boolean;
}

export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function requestHash(method: string, path: string, request: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonicalJson(request)}`)
    .digest('hex');
}

/**
 * The earlier request that holds this key, if any; a key reused with a different request is a
 * 422. Read-only: callers check this before validating against current state, so a retry of a
 * request that succeeded is answered with its result, not re-judged.
 */
export async function findIdempotencyKey(
  em: EntityManager,
  claim: Omit<IdempotencyClaim, 'newResourceId' | 'now'>,
): Promise<ClaimedKey | null> {
  const existing = await new IdempotencyKeyRepository(em).find(claim.merchantId, claim.key);
  if (!existing) return null;
  if (existing.requestHash !== requestHash(claim.method, claim.path, claim.request)) throw keyReused();
  return { resourceId: existing.resourceId, createdAt: existing.createdAt, replay: true };
}

function keyReused(): ApiError {
  return new ApiError(
    422,
    'Keys for idempotent requests can only be used with the same parameters they were first used with. Use a new Idempotency-Key for a different request.',
    'idempotency_key_reused',
    'Idempotency-Key',
  );
}

/**
 * Claims an Idempotency-Key for a merchant, or finds who holds it. Concurrent requests race on
 * the primary key; exactly one inserts and all get the same resource id. A key reused with a
 * different request is refused: that is a client bug, not a retry.
 */
export async function claimIdempotencyKey(em: EntityManager, claim: IdempotencyClaim): Promise<ClaimedKey> {
  const hash = requestHash(claim.method, claim.path, claim.request);
  const keys = new IdempotencyKeyRepository(em);
  for (let attempt = 1; ; attempt += 1) {
    const inserted = await keys.insertIfAbsent({
      merchantId: claim.merchantId,
      key: claim.key,
      requestMethod: claim.method,
      requestPath: claim.path,
      requestHash: hash,
      resourceId: claim.newResourceId,
      createdAt: claim.now,
    });
    if (inserted) return { resourceId: claim.newResourceId, createdAt: claim.now, replay: false };
    const existing = await keys.find(claim.merchantId, claim.key);
    if (existing) {
      if (existing.requestHash !== hash) throw keyReused();
      return { resourceId: existing.resourceId, createdAt: existing.createdAt, replay: true };
    }
    // The holder's request was refused and gave the key back between our insert and our read:
    // the key is free again, so this request claims it afresh. A key given back over and over
    // means copies keep racing; the client is told to retry rather than shown a 500.
    if (attempt >= CLAIM_ATTEMPTS) throw keyInUse();
  }
}

const CLAIM_ATTEMPTS = 5;

function keyInUse(): ApiError {
  return new ApiError(
    409,
    'Another request with this Idempotency-Key is being carried out; retry it in a moment.',
    'idempotency_key_in_use',
    'Idempotency-Key',
  );
}

/**
 * The id of what an earlier request with this Idempotency-Key made, or null (no key, or none yet); the key
 * sent with another request is a 422. Read before any check against current state, so that a retry of a
 * create that succeeded is answered with what it made rather than judged again.
 */
export async function earlierResourceFor(
  em: EntityManager,
  merchantId: string,
  idempotency: IdempotencyContext | undefined,
  request: unknown,
): Promise<string | null> {
  if (!idempotency) return null;
  const earlier = await findIdempotencyKey(em, { merchantId, ...idempotency, request });
  return earlier?.resourceId ?? null;
}

/**
 * The id and creation time a create request uses: the fresh ones, or, when its Idempotency-Key
 * was claimed before with the same request, the first request's (another request is a 422).
 */
export async function identityForCreate(
  em: EntityManager,
  merchantId: string,
  idempotency: IdempotencyContext | undefined,
  request: unknown,
  fresh: { id: string; createdAt: Date },
): Promise<{ id: string; createdAt: Date }> {
  if (!idempotency) return fresh;
  const claim = await claimIdempotencyKey(em, {
    merchantId,
    key: idempotency.key,
    method: idempotency.method,
    path: idempotency.path,
    request,
    newResourceId: fresh.id,
    now: fresh.createdAt,
  });
  return { id: claim.resourceId, createdAt: claim.createdAt };
}

/**
 * Gives back a key this request claimed, when the request was refused (404, 400, 409...): a refused
 * request writes nothing, so the same key may carry a corrected request. Only a claim made with
 * this request's hash is deleted: a different request that claimed the key since keeps it.
 */
export async function releaseIdempotencyKey(
  em: EntityManager,
  release: { merchantId: string; key: string; requestHash: string },
): Promise<void> {
  await new IdempotencyKeyRepository(em).deleteForRequest(release.merchantId, release.key, release.requestHash);
}
