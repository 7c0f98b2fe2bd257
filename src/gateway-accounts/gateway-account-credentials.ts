import { ApiError } from '../shared/api-error';
import { openSecret, sealSecret, type SealedSecret } from '../vault/sealed-secrets';
import type { VaultKeyRing } from '../vault/vault-keys';
import { credentialsBinding, type GatewayAccountRecord } from './gateway-account-record';

/** An account's sealed credentials this process cannot open: its vault key is gone, or none is configured. */
export class CredentialsUnreadable extends Error {
  constructor(accountId: string, why: string) {
    super(`Gateway account ${accountId}'s credentials cannot be opened: ${why}`);
    this.name = 'CredentialsUnreadable';
  }
}

/** Seals and opens gateway accounts' credentials with the vault's key ring; the clear form lives only in memory. */
export class GatewayAccountCredentials {
  constructor(private readonly keys: Pick<VaultKeyRing, 'keys'> | undefined) {}

  /**
   * Seals credentials for storage on the account `accountId`.
   * @throws 503 card_vault_unavailable
   */
  seal(accountId: string, credentials: Record<string, string>): SealedSecret {
    return sealSecret(this.requireKeys(), JSON.stringify(credentials), credentialsBinding(accountId));
  }

  /**
   * The key ring, or the 503 a deployment without vault keys answers.
   * @throws 503 card_vault_unavailable
   */
  requireKeys(): Pick<VaultKeyRing, 'keys'> {
    if (!this.keys)
      throw ApiError.unavailable(
        'Gateway credentials are stored encrypted with the vault keys, and none are configured (CARD_VAULT_KEYS, CARD_FINGERPRINT_KEY)',
        'card_vault_unavailable',
      );
    return this.keys;
  }

  /**
   * The account's credentials in clear, for an adapter about to call the gateway; {} for an account that has none.
   * @throws CredentialsUnreadable
   */
  open(account: Pick<GatewayAccountRecord, 'id' | 'credentialsKeyId' | 'credentialsCiphertext'>): Record<string, string> {
    if (!account.credentialsKeyId || !account.credentialsCiphertext) return {};
    if (!this.keys) throw new CredentialsUnreadable(account.id, 'no vault keys are configured');
    const sealed = { keyId: account.credentialsKeyId, ciphertext: account.credentialsCiphertext };
    let clear: string;
    try {
      clear = openSecret(this.keys, sealed, credentialsBinding(account.id));
    } catch {
      // Never the cause's text: it could quote what it failed to read.
      throw new CredentialsUnreadable(
        account.id,
        `vault key ${account.credentialsKeyId} is not in the key ring, or the sealed bytes were altered`,
      );
    }
    return JSON.parse(clear) as Record<string, string>;
  }
}
