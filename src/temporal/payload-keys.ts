/** One AES-256 key for Temporal payloads, named by the id written into each payload it encrypts. */
export interface PayloadKey {
  id: string;
  key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Parses TEMPORAL_PAYLOAD_KEYS, "kid:base64-32-bytes,...": the first key encrypts, every key
 * decrypts, so a new key is rolled out by prepending it and an old one retired once nothing needs it.
 */
export function parsePayloadKeys(raw: string, name = 'TEMPORAL_PAYLOAD_KEYS'): PayloadKey[] {
  const keys = raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part, index) => {
      const separator = part.indexOf(':');
      const id = part.slice(0, separator);
      const encoded = part.slice(separator + 1);
      if (separator < 0 || !KEY_ID.test(id))
        throw new Error(
          `${name}: entry ${index + 1} must be "<key id>:<base64 of 32 bytes>", with a key id of letters, digits, ".", "_" or "-"`,
        );
      const key = Buffer.from(encoded, 'base64');
      if (!BASE64.test(encoded) || key.length !== 32)
        throw new Error(`${name}: key "${id}" must be 32 bytes in base64 (openssl rand -base64 32), got ${key.length} bytes`);
      return { id, key };
    });
  if (keys.length === 0) throw new Error(`${name} must list at least one key, such as "k1:$(openssl rand -base64 32)"`);
  const ids = keys.map((entry) => entry.id);
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated) throw new Error(`${name}: key id "${repeated}" appears twice`);
  return keys;
}

/** The configuration form of keys, for saving them (the dev launcher) or passing them on. */
export function formatPayloadKeys(keys: PayloadKey[]): string {
  return keys.map(({ id, key }) => `${id}:${key.toString('base64')}`).join(',');
}
