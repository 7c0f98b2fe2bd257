import { describe, expect, it } from 'vitest';
import { detectBrand, luhnValid, validateCard } from '../../src/vault/card-validation';
import { testCardBehaviour } from '../../src/vault/test-card-behaviours';
import { cardFingerprint, openPan, parseVaultKeys, sealPan, type VaultKeyRing } from '../../src/vault/vault-keys';
import { cardVaultSettings } from '../../src/vault/vault-config';

const now = new Date('2026-11-21T12:00:00Z');
const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');

describe('card validation', () => {
  it('when numbers are checked, then Luhn, brand ranges and lengths decide', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(
      ['4242424242424242', '5105105105105100', '2221000000000009', '2720990000000007', '378282246310005', '341111111111111'].map(
        detectBrand,
      ),
    ).toEqual(['visa', 'mastercard', 'mastercard', 'mastercard', 'amex', 'amex']);
    expect(['6011111111111117', '2220990000000000', '2721000000000000', '3530111333300000'].map(detectBrand)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('when a card expires at the end of its month (UTC), then it is valid through that month and refused after', () => {
    const card = { number: '4242424242424242', expMonth: 11, expYear: 2026, cvc: '123' };
    expect(validateCard(card, now).ok).toBe(true);
    expect(validateCard(card, new Date('2026-11-30T23:59:59Z')).ok).toBe(true);
    expect(validateCard(card, new Date('2026-12-01T00:00:00Z'))).toMatchObject({
      ok: false,
      problem: { param: 'card[exp_month]', code: 'expired_card' },
    });
    expect(validateCard({ ...card, expYear: 25 }, now)).toMatchObject({
      ok: false,
      problem: { param: 'card[exp_year]', code: 'expired_card' },
    });
    expect(validateCard({ ...card, expYear: 30 }, now)).toMatchObject({ ok: true, card: { expYear: 2030 } });
  });

  it('when the CVC has the wrong shape for the brand, then card[cvc] is refused, and no message repeats the number', () => {
    expect(validateCard({ number: '378282246310005', expMonth: 1, expYear: 2030, cvc: '123' }, now)).toMatchObject({
      ok: false,
      problem: { param: 'card[cvc]' },
    });
    expect(validateCard({ number: '378282246310005', expMonth: 1, expYear: 2030, cvc: '1234' }, now).ok).toBe(true);
    expect(validateCard({ number: '4242 4242-4242 4242', expMonth: 1, expYear: 2030, cvc: '12a' }, now)).toMatchObject({
      ok: false,
      problem: { param: 'card[cvc]' },
    });
    const refused = validateCard({ number: '4242424242424241', expMonth: 1, expYear: 2030, cvc: '123' }, now);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.problem.message).not.toMatch(/\d{4}/);
  });

  it("when test cards are tokenized, then each takes its named token's behaviour, and any other card succeeds like its brand", () => {
    expect(testCardBehaviour('4000000000000002', 'visa')).toBe('tok_chargeDeclined');
    expect(testCardBehaviour('4111111111111111', 'visa')).toBe('tok_visa');
    expect(testCardBehaviour('2223003122003222', 'mastercard')).toBe('tok_mastercard');
  });
});

describe('vault keys', () => {
  it('when keys rotate, then the first key seals, older keys still open, and a moved or altered ciphertext does not open', () => {
    const old: VaultKeyRing = { keys: parseVaultKeys(`k1:${key(1)}`), fingerprintKey: Buffer.alloc(32, 9) };
    const sealed = sealPan(old, '4242424242424242', 'tok_a');
    expect(sealed.kid).toBe('k1');
    expect(sealed.sealed.toString('latin1')).not.toContain('4242');
    const rotated: VaultKeyRing = { ...old, keys: parseVaultKeys(`k2:${key(2)},k1:${key(1)}`) };
    expect(openPan(rotated, sealed, 'tok_a')).toBe('4242424242424242');
    expect(sealPan(rotated, '4242424242424242', 'tok_b').kid).toBe('k2');
    expect(() => openPan(rotated, sealed, 'tok_b')).toThrow();
    const altered = { ...sealed, sealed: Buffer.from(sealed.sealed) };
    altered.sealed[14] ^= 1;
    expect(() => openPan(rotated, altered, 'tok_a')).toThrow();
    expect(() => openPan({ ...old, keys: parseVaultKeys(`k3:${key(3)}`) }, sealed, 'tok_a')).toThrow(/k1 is not configured/);
  });

  it('when fingerprints are taken, then one card gives one fingerprint per key, and another key gives another', () => {
    const ring = { fingerprintKey: Buffer.alloc(32, 9) };
    expect(cardFingerprint(ring, '4242424242424242')).toBe(cardFingerprint(ring, '4242424242424242'));
    expect(cardFingerprint(ring, '4242424242424242')).not.toBe(
      cardFingerprint({ fingerprintKey: Buffer.alloc(32, 8) }, '4242424242424242'),
    );
  });

  it('when the settings are read, then tests get fixed keys, a half-set pair or a short key is refused, and nothing set means no vault', () => {
    expect(cardVaultSettings({}, 'test')?.keys[0].id).toBe('test-vault-1');
    expect(cardVaultSettings({}, 'production')).toBeUndefined();
    expect(() => cardVaultSettings({ CARD_VAULT_KEYS: `k1:${key(1)}` }, 'production')).toThrow(/set together/);
    expect(() => cardVaultSettings({ CARD_VAULT_KEYS: 'k1:c2hvcnQ=', CARD_FINGERPRINT_KEY: key(2) }, 'production')).toThrow(
      /CARD_VAULT_KEYS/,
    );
    expect(() => cardVaultSettings({ CARD_VAULT_KEYS: `k1:${key(1)}`, CARD_FINGERPRINT_KEY: 'c2hvcnQ=' }, 'production')).toThrow(
      /CARD_FINGERPRINT_KEY/,
    );
  });
});
