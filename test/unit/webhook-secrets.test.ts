import { describe, expect, it } from 'vitest';
import type { Orm } from '../../src/db/orm';
import { ApiError } from '../../src/shared/api-error';
import { parseVaultKeys } from '../../src/vault/vault-keys';
import type { StoredSecrets } from '../../src/webhooks/webhook-repository';
import { requireSecretKeys, sealWebhookSecret, signingSecrets } from '../../src/webhooks/webhook-secrets';
import { newWebhookSecret } from '../../src/webhooks/webhook-signature';

const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');
const oldRing = { keys: parseVaultKeys(`k1:${key(1)}`) };
// Key rotation: a new key is prepended; the old one stays listed so what it sealed still opens.
const newRing = { keys: parseVaultKeys(`k2:${key(2)},k1:${key(1)}`) };
const at = new Date('2026-12-06T12:00:00Z');
// Sealed secrets never need the database: only an endpoint still in clear does.
const noDatabase = undefined as unknown as Orm;

function stored(
  current: { keyId: string; ciphertext: Buffer },
  previous?: { keyId: string; ciphertext: Buffer },
  until?: Date,
): StoredSecrets {
  return {
    secret_key_id: current.keyId,
    secret_ciphertext: current.ciphertext,
    previous_secret_key_id: previous?.keyId ?? null,
    previous_secret_ciphertext: previous?.ciphertext ?? null,
    previous_secret_expires_at: until?.toISOString() ?? null,
    secret_in_clear: false,
  };
}

describe('webhook signing secrets sealed with the vault keys', () => {
  it('when a secret is sealed, then the ciphertext names its key and does not hold the secret in any readable form', () => {
    const secret = newWebhookSecret();
    const sealed = sealWebhookSecret(oldRing, 'we_1', secret);
    expect(sealed.keyId).toBe('k1');
    const bytes = sealed.ciphertext.toString('latin1');
    expect(bytes).not.toContain(secret);
    expect(bytes).not.toContain(Buffer.from(secret.slice('whsec_'.length), 'base64').toString('latin1'));
  });

  it('when keys rotate, then secrets sealed under the old key still sign, and new ones are sealed under the new key', async () => {
    const old = newWebhookSecret();
    const sealedOld = sealWebhookSecret(oldRing, 'we_1', old);
    expect(await signingSecrets(noDatabase, newRing, 'we_1', stored(sealedOld), at)).toEqual([old]);
    expect(sealWebhookSecret(newRing, 'we_1', newWebhookSecret()).keyId).toBe('k2');
    // A ring that no longer lists the key cannot open it, and says which key is missing.
    await expect(signingSecrets(noDatabase, { keys: parseVaultKeys(`k2:${key(2)}`) }, 'we_1', stored(sealedOld), at)).rejects.toThrow(
      /k1 is not configured/,
    );
  });

  it('when a sealed secret is copied onto another endpoint, then it does not open', async () => {
    const sealed = sealWebhookSecret(oldRing, 'we_1', newWebhookSecret());
    await expect(signingSecrets(noDatabase, oldRing, 'we_2', stored(sealed), at)).rejects.toThrow();
  });

  it('when a secret was rotated, then the previous one signs beside it until its overlap ends', async () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const both = stored(
      sealWebhookSecret(oldRing, 'we_1', current),
      sealWebhookSecret(oldRing, 'we_1', previous),
      new Date(at.getTime() + 1),
    );
    expect(await signingSecrets(noDatabase, oldRing, 'we_1', both, at)).toEqual([current, previous]);
    expect(await signingSecrets(noDatabase, oldRing, 'we_1', both, new Date(at.getTime() + 1))).toEqual([current]);
  });

  it('when no keys are configured, then the API answers 503 naming the settings and a delivery fails without any secret in the message', async () => {
    let refusal: unknown;
    try {
      requireSecretKeys(undefined);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({ status: 503, code: 'webhook_secrets_unavailable' });
    expect((refusal as ApiError).message).toMatch(/CARD_VAULT_KEYS, CARD_FINGERPRINT_KEY/);
    const secret = newWebhookSecret();
    const failure = signingSecrets(noDatabase, undefined, 'we_1', stored(sealWebhookSecret(oldRing, 'we_1', secret)), at);
    await expect(failure).rejects.toThrow(/CARD_VAULT_KEYS/);
    await expect(failure).rejects.not.toThrow(secret);
  });
});
