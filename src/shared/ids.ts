import { randomBytes } from 'node:crypto';
import { BASE62_ALPHABET as ALPHABET } from './base62';

/** A random base62 string; 22 characters carry ~131 bits, enough that ids never collide. */
export function randomBase62(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; out.length < length && i < bytes.length; i++) {
    // Rejection sampling keeps the distribution uniform (248 = 4 * 62).
    if (bytes[i] < 248) out += ALPHABET[bytes[i] % 62];
  }
  return out.length === length ? out : out + randomBase62(length - out.length);
}

export type IdPrefix =
  | 'pay'
  | 'mer'
  | 'key'
  | 'evt'
  | 'je'
  | 'lp'
  | 'ch'
  | 'idk'
  | 're'
  | 'dp'
  | 'nev'
  | 'ndp'
  | 'we'
  | 'wa'
  | 'txn'
  | 'fi'
  | 'rec'
  | 'ri'
  | 'lck'
  | 'cus'
  | 'plan'
  | 'sub'
  | 'in'
  | 'aud'
  | 'req'
  | 'tok'
  | 'gwa'
  | 'cs'
  | 'oc'
  | 'ocs'
  | 'oat'
  | 'ort'
  | 'otf'
  | 'ba'
  | 'po'
  | 'sbt'
  | 'frr'
  | 'file';

/** A new object id such as `pay_3kTMd9x...`: the prefix says what it is, as Stripe's ids do. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase62(22)}`;
}
