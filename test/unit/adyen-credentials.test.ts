import { describe, expect, it } from 'vitest';
import { parseAdyenCredentials } from '../../src/gateways/adyen/adyen-connector';

const VALID = { api_key: 'AQEyhmfxK4-test-key', merchant_account: 'LedgerflowECOM', hmac_key: 'A'.repeat(64) };

describe('Adyen credentials', () => {
  it('when every key is well formed, then they are taken, the HMAC key in upper case', () => {
    expect(parseAdyenCredentials({ ...VALID, hmac_key: 'a'.repeat(64) }, false)).toMatchObject({
      ok: true,
      credentials: { hmac_key: 'A'.repeat(64) },
      last4: '-key',
    });
  });

  // Found by the fuzzer: such a key cannot be sent as a header, and verifying it answered 503 gateway_unreachable.
  it.each([
    ['a control character', 'AQEyhmfx\u0001K4key'],
    ['a non-ASCII letter', 'AQEyhmféK4key'],
    ['a space', 'AQEyhmf K4key'],
  ])('when the API key holds %s, then it is refused naming credentials.api_key, before any call', (_what, apiKey) => {
    const parsed = parseAdyenCredentials({ ...VALID, api_key: apiKey }, false);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.problems.map((problem) => problem.param)).toEqual(['credentials.api_key']);
  });
});
