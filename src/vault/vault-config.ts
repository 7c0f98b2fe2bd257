import { parseFingerprintKey, parseVaultKeys, type VaultKeyRing } from './vault-keys';

/** The suite's fixed vault keys: tests seal card numbers like production, with keys nobody uses elsewhere. */
export const TEST_CARD_VAULT_KEYS = 'test-vault-1:dGVzdC1vbmx5LWNhcmQtdmF1bHQta2V5LTMyYnl0ZXM=';
export const TEST_CARD_FINGERPRINT_KEY = 'dGVzdC1vbmx5LWNhcmQtZmluZ2VycHJpbnQta2V5MzI=';

/**
 * The vault's keys from CARD_VAULT_KEYS and CARD_FINGERPRINT_KEY (under NODE_ENV=test, the fixed
 * test keys when unset). Undefined when neither is set: `npm start` then keeps keys of its own in
 * DATA_DIR, and elsewhere POST /v1/tokens answers 503. One without the other is a mistake.
 */
export function cardVaultSettings(env: NodeJS.ProcessEnv, nodeEnv: string): VaultKeyRing | undefined {
  const test = nodeEnv === 'test';
  const keys = env.CARD_VAULT_KEYS || (test ? TEST_CARD_VAULT_KEYS : undefined);
  const fingerprintKey = env.CARD_FINGERPRINT_KEY || (test ? TEST_CARD_FINGERPRINT_KEY : undefined);
  if (!keys && !fingerprintKey) return undefined;
  if (!keys || !fingerprintKey)
    throw new Error('CARD_VAULT_KEYS and CARD_FINGERPRINT_KEY are set together (openssl rand -base64 32 for each key)');
  return { keys: parseVaultKeys(keys), fingerprintKey: parseFingerprintKey(fingerprintKey) };
}
