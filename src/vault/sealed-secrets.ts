import { openPan, sealPan, type VaultKeyRing } from './vault-keys';

/** A secret sealed under the vault's key ring: which key sealed it (for rotation) and the AES-256-GCM bytes. */
export interface SealedSecret {
  keyId: string;
  ciphertext: Buffer;
}

/**
 * Seals a secret (gateway credentials, a webhook signing secret) with the vault's first key. `boundTo`
 * (the owning row's id and purpose) is bound in as associated data, so a ciphertext copied onto another
 * row, or into another column, fails to open.
 */
export function sealSecret(ring: Pick<VaultKeyRing, 'keys'>, plaintext: string, boundTo: string): SealedSecret {
  const { kid, sealed } = sealPan({ keys: ring.keys, fingerprintKey: Buffer.alloc(0) }, plaintext, boundTo);
  return { keyId: kid, ciphertext: sealed };
}

/** Opens a sealed secret with the key it names; throws when that key is gone or the bytes were altered. */
export function openSecret(ring: Pick<VaultKeyRing, 'keys'>, sealed: SealedSecret, boundTo: string): string {
  return openPan({ keys: ring.keys, fingerprintKey: Buffer.alloc(0) }, { kid: sealed.keyId, sealed: sealed.ciphertext }, boundTo);
}
