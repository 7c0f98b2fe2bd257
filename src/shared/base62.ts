/** The base62 alphabet of our ids. Pure, so workflows may import it. */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * `length` base62 characters from a hex string (a workflow's deterministic uuid4): ids made in a
 * workflow then look like every other id. Raw hex would not do: 22 hex characters now and then hold
 * a 13-digit run that passes Luhn, which the card-data scan rightly cannot tell from a card number.
 */
export function base62FromHex(hex: string, length: number): string {
  let value = BigInt(`0x${hex}`);
  let out = '';
  for (let i = 0; i < length; i++) {
    out = BASE62_ALPHABET[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out;
}
