import { describe, expect, it } from 'vitest';
import { base62FromHex } from '../../src/shared/base62';

describe('ids a workflow makes from its uuid4', () => {
  it('when a hex uuid is turned into an id, then it is 22 base62 characters, the same every time, and different uuids give different ids', () => {
    const hex = '4111111111111a9479c0ffee00112233';
    expect(base62FromHex(hex, 22)).toMatch(/^[0-9A-Za-z]{22}$/);
    expect(base62FromHex(hex, 22)).toBe(base62FromHex(hex, 22));
    expect(base62FromHex(hex, 22)).not.toBe(base62FromHex('4111111111111a9479c0ffee00112234', 22));
    // 128 bits fit in 22 base62 characters: the largest uuid is not cut short.
    expect(base62FromHex('f'.repeat(32), 22)).toBe('7n42DGM5Tflk9n8mt7Fhc7');
  });

  it('when a uuid starts with a 13-digit run that passes Luhn, then the id carries no such run', () => {
    const id = base62FromHex('4111111111111a9479c0ffee00112233', 22);
    expect(id).not.toMatch(/\d{13}/);
  });
});
