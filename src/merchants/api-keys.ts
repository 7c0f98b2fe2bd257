import { createHash, timingSafeEqual } from 'node:crypto';
import { randomBase62 } from '../shared/ids';

export const TEST_KEY_PREFIX = 'sk_test_';
export const LIVE_KEY_PREFIX = 'sk_live_';

/** A new secret API key; only its hash is ever stored. */
export function generateApiKey(prefix = TEST_KEY_PREFIX): string {
  return `${prefix}${randomBase62(32)}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Compares two secrets in constant time (through their hashes, so lengths never leak). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(hashApiKey(a), 'hex'), Buffer.from(hashApiKey(b), 'hex'));
}
