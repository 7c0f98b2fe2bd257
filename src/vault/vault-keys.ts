import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { parsePayloadKeys, type PayloadKey } from '../temporal/payload-keys';

/** One AES-256 key of the vault's key ring, named so each ciphertext says which key sealed it (the payload keys' form). */
export type VaultKey = PayloadKey;

/** The first key encrypts; every key decrypts, so keys can rotate without re-encrypting at once. */
export interface VaultKeyRing {
  keys: VaultKey[];
  /** HMAC-SHA256 key for card fingerprints: the same card gives the same fingerprint, which reveals nothing without the key. */
  fingerprintKey: Buffer;
}

export interface SealedPan {
  kid: string;
  /** 12-byte IV, then the ciphertext, then the 16-byte GCM tag. */
  sealed: Buffer;
}

/** Parses CARD_VAULT_KEYS, "kid:base64-32-bytes,kid2:...", as TEMPORAL_PAYLOAD_KEYS are parsed; errors name the setting, never a key. */
export function parseVaultKeys(raw: string): VaultKey[] {
  return parsePayloadKeys(raw, 'CARD_VAULT_KEYS');
}

/** Parses CARD_FINGERPRINT_KEY (base64, 32 bytes). */
export function parseFingerprintKey(raw: string): Buffer {
  const key = Buffer.from(raw.trim(), 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(raw.trim()))
    throw new Error('CARD_FINGERPRINT_KEY must be 32 bytes in base64 (openssl rand -base64 32)');
  return key;
}

/** A new random key, in the form the settings take. */
export function generateKeyBase64(): string {
  return randomBytes(32).toString('base64');
}

/** AES-256-GCM with a fresh IV under the ring's first key; the token id is bound in as associated data, so a ciphertext cannot be moved to another token. */
export function sealPan(ring: VaultKeyRing, pan: string, tokenId: string): SealedPan {
  const { id: kid, key } = ring.keys[0];
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(tokenId));
  const body = Buffer.concat([cipher.update(pan, 'utf8'), cipher.final()]);
  return { kid, sealed: Buffer.concat([iv, body, cipher.getAuthTag()]) };
}

/** Decrypts with the key the ciphertext names; throws when the key is gone or the data was altered. */
export function openPan(ring: VaultKeyRing, sealed: SealedPan, tokenId: string): string {
  const key = ring.keys.find((candidate) => candidate.id === sealed.kid);
  if (!key) throw new Error(`Card vault key ${sealed.kid} is not configured`);
  const iv = sealed.sealed.subarray(0, 12);
  const tag = sealed.sealed.subarray(sealed.sealed.length - 16);
  const decipher = createDecipheriv('aes-256-gcm', key.key, iv);
  decipher.setAAD(Buffer.from(tokenId));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.sealed.subarray(12, sealed.sealed.length - 16)), decipher.final()]).toString('utf8');
}

/** HMAC-SHA256 of the card number under the fingerprint key, base64url: the card's identity for velocity and blocklists. */
export function cardFingerprint(ring: Pick<VaultKeyRing, 'fingerprintKey'>, pan: string): string {
  return createHmac('sha256', ring.fingerprintKey).update(pan).digest('base64url');
}
