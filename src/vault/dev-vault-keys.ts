import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateKeyBase64, parseFingerprintKey, parseVaultKeys, type VaultKeyRing } from './vault-keys';

interface SavedVaultKeys {
  cardVaultKeys: string;
  cardFingerprintKey: string;
}

/**
 * The dev launcher's vault keys: the configured ones, else those saved in DATA_DIR (mode 0600,
 * beside the dev credentials), else new ones saved there. Losing the file makes local tokens unusable.
 */
export function devCardVaultKeys(dataDir: string, configured: VaultKeyRing | undefined): VaultKeyRing {
  if (configured) return configured;
  const file = path.join(dataDir, 'card-vault-keys.json');
  let saved: SavedVaultKeys | undefined;
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8')) as SavedVaultKeys;
  } catch {
    saved = undefined;
  }
  if (!saved?.cardVaultKeys || !saved.cardFingerprintKey) {
    saved = { cardVaultKeys: `dev-${randomBytes(3).toString('hex')}:${generateKeyBase64()}`, cardFingerprintKey: generateKeyBase64() };
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  }
  return { keys: parseVaultKeys(saved.cardVaultKeys), fingerprintKey: parseFingerprintKey(saved.cardFingerprintKey) };
}
