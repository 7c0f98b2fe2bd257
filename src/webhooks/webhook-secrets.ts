import type { Orm } from '../db/orm';
import type { Logger } from '../logger';
import { ApiError } from '../shared/api-error';
import { openSecret, sealSecret, type SealedSecret } from '../vault/sealed-secrets';
import type { VaultKeyRing } from '../vault/vault-keys';
import { WebhookRepository, type StoredSecrets } from './webhook-repository';

/** The part of the card vault's key ring that seals and opens secrets. */
export type SecretKeys = Pick<VaultKeyRing, 'keys'>;

const SETTINGS = 'CARD_VAULT_KEYS, CARD_FINGERPRINT_KEY';

/** The associated data an endpoint's sealed secrets (current and previous) are bound to: copied onto another endpoint, they fail to open. */
export function webhookSecretBinding(endpointId: string): string {
  return `${endpointId}:webhook_secret`;
}

/**
 * The key ring, when one is configured: signing secrets are only ever stored sealed.
 * @throws 503 webhook_secrets_unavailable
 */
export function requireSecretKeys(keys: SecretKeys | undefined): SecretKeys {
  if (!keys)
    throw ApiError.unavailable(
      `Webhook signing secrets are stored encrypted with the card vault's keys, and none are configured (${SETTINGS})`,
      'webhook_secrets_unavailable',
    );
  return keys;
}

/** Seals a signing secret for storage on the endpoint `endpointId`. */
export function sealWebhookSecret(keys: SecretKeys, endpointId: string, secret: string): SealedSecret {
  return sealSecret(keys, secret, webhookSecretBinding(endpointId));
}

/**
 * Seals one endpoint's secrets still in clear, in a transaction of its own. Endpoints created before
 * secrets were sealed keep them in clear columns until this runs: the migration cannot seal them,
 * since the keys never reach the database. True when it sealed something.
 */
export async function sealEndpointInClear(orm: Orm, keys: SecretKeys, endpointId: string): Promise<boolean> {
  return new WebhookRepository(orm.em.fork()).sealClearSecrets(endpointId, (clear) => sealWebhookSecret(keys, endpointId, clear));
}

/**
 * Seals every endpoint's secrets still in clear, one transaction per endpoint (run at API start; a
 * delivery seals its own endpoint first if it comes sooner). Without keys it can only warn that some
 * wait. Failures are logged, not thrown: what is left is sealed on first use or at the next start.
 */
export async function sealAllInClear(orm: Orm, keys: SecretKeys | undefined, logger: Logger): Promise<number> {
  let sealed = 0;
  try {
    const repository = new WebhookRepository(orm.em.fork());
    if (!keys) {
      const waiting = (await repository.endpointIdsWithClearSecrets(1)).length;
      if (waiting) logger.warn(`webhook endpoints keep their signing secrets in clear until the card vault's keys are set (${SETTINGS})`);
      return 0;
    }
    for (;;) {
      const ids = await repository.endpointIdsWithClearSecrets(100);
      if (ids.length === 0) break;
      for (const id of ids) if (await sealEndpointInClear(orm, keys, id)) sealed++;
    }
    if (sealed) logger.info({ endpoints: sealed }, 'webhook signing secrets sealed');
  } catch (error) {
    logger.warn({ err: error, endpoints: sealed }, 'sealing webhook signing secrets stopped; the rest are sealed on first use');
  }
  return sealed;
}

/**
 * The secrets a delivery at `at` signs with: the current one and, until its overlap ends, the
 * rotated-out one. An endpoint still in clear is sealed first, so signing always opens the sealed form.
 * Throws (Temporal retries the activity) when no keys are configured or the key that sealed it is gone.
 */
export async function signingSecrets(
  orm: Orm,
  keys: SecretKeys | undefined,
  endpointId: string,
  stored: StoredSecrets,
  at: Date,
): Promise<string[]> {
  if (!keys)
    throw new Error(`Webhook endpoint ${endpointId} signs with a sealed secret, and the card vault has no keys configured (${SETTINGS})`);
  let secrets = stored;
  if (stored.secret_in_clear) {
    await sealEndpointInClear(orm, keys, endpointId);
    const resealed = await new WebhookRepository(orm.em.fork()).findStoredSecrets(endpointId);
    if (!resealed) throw new Error(`Webhook endpoint ${endpointId} disappeared while its secret was sealed`);
    secrets = resealed;
  }
  if (!secrets.secret_key_id || !secrets.secret_ciphertext) throw new Error(`Webhook endpoint ${endpointId} has no sealed secret`);
  const binding = webhookSecretBinding(endpointId);
  const opened = [openSecret(keys, { keyId: secrets.secret_key_id, ciphertext: secrets.secret_ciphertext }, binding)];
  const { previous_secret_key_id: previousKeyId, previous_secret_ciphertext: previous, previous_secret_expires_at: until } = secrets;
  if (previousKeyId && previous && until && new Date(until) > at)
    opened.push(openSecret(keys, { keyId: previousKeyId, ciphertext: previous }, binding));
  return opened;
}
