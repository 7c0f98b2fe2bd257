import fs from 'node:fs';
import path from 'node:path';
import type { MerchantService } from '../merchants/merchant-service';
import { randomBytes } from 'node:crypto';
import { generateApiKey } from '../merchants/api-keys';
import { formatPayloadKeys, parsePayloadKeys, type PayloadKey } from '../temporal/payload-keys';

/**
 * The dev launcher's own secrets, kept in the data folder (mode 0600, never committed) so a
 * restart reuses the same admin key and test merchant instead of printing new ones each time.
 */
export interface DevCredentials {
  adminApiKey: string;
  merchantId?: string;
  merchantApiKey?: string;
  /** TEMPORAL_PAYLOAD_KEYS's form: losing it makes the local histories unreadable. */
  temporalPayloadKeys?: string;
}

function read(file: string): Partial<DevCredentials> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<DevCredentials>;
  } catch {
    return {};
  }
}

function write(file: string, credentials: DevCredentials): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
}

/** The admin key: ADMIN_API_KEY when set, else the one saved earlier, else a new one. */
export function devAdminKey(file: string, fromEnv: string | undefined): string {
  if (fromEnv) return fromEnv;
  const saved = read(file);
  if (saved.adminApiKey) return saved.adminApiKey;
  const adminApiKey = generateApiKey('sk_admin_');
  write(file, { ...saved, adminApiKey });
  return adminApiKey;
}

/** The Temporal payload keys: TEMPORAL_PAYLOAD_KEYS when set, else the ones saved earlier, else a new key. */
export function devPayloadKeys(file: string, fromEnv: PayloadKey[]): PayloadKey[] {
  if (fromEnv.length > 0) return fromEnv;
  const saved = read(file);
  if (saved.temporalPayloadKeys) return parsePayloadKeys(saved.temporalPayloadKeys, `temporalPayloadKeys in ${file}`);
  const keys = [{ id: `dev-${randomBytes(3).toString('hex')}`, key: randomBytes(32) }];
  write(file, { adminApiKey: saved.adminApiKey ?? '', ...saved, temporalPayloadKeys: formatPayloadKeys(keys) });
  return keys;
}

/** A test-mode merchant for the newcomer's first curl: reused while its key still works. */
export async function devMerchant(
  file: string,
  merchants: MerchantService,
): Promise<{ id: string; apiKey: string; created: boolean; reissued: boolean }> {
  const saved = read(file);
  if (saved.merchantApiKey) {
    const merchant = await merchants.authenticate(saved.merchantApiKey);
    if (merchant) return { id: merchant.id, apiKey: saved.merchantApiKey, created: false, reissued: false };
  }
  // The stored key was revoked or expired (through the API, by a person or a fuzzer): the merchant and its data stay, with a new key.
  const reissued = saved.merchantId ? await merchants.issueKey(saved.merchantId) : null;
  const { merchant, apiKey } = reissued ?? (await merchants.create({ name: 'Local development merchant' }));
  write(file, { adminApiKey: saved.adminApiKey ?? '', ...saved, merchantId: merchant.id, merchantApiKey: apiKey });
  return { id: merchant.id, apiKey, created: !reissued, reissued: Boolean(reissued) };
}
