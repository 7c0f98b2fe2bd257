import fc from 'fast-check';

// Values a careless or malicious client sends, for test/api/hostile-input.test.ts.

const hugeNumbers = fc.constantFrom(1e308, -1e308, 2 ** 63, -(2 ** 63), Number.MAX_SAFE_INTEGER + 2, Number.MAX_VALUE, 5e-324, 1e21, -0);
const badAmounts = fc.oneof(
  fc.integer({ min: -1_000_000, max: -1 }),
  fc.constantFrom(0.001, 1.005, 12.3456789, 0.1 + 0.2, -0.01, 1e-7),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const numberLikeStrings = fc.constantFrom(
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '0x1F',
  '1_000',
  ' 12 ',
  '12abc',
  '',
  '-0',
  '+1',
  '１２',
  '٣',
  '1,5',
  '9'.repeat(400),
  '0.' + '1'.repeat(300),
  '-1',
  '1e-7',
  '2020-13-45',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
);
const trickyUnicode = fc.constantFrom(
  '\uD800',
  '\uDFFF',
  'a\uD83Db',
  '\u202Egnp.exe',
  'a\u200Bb\u200C\u200D',
  '\uFEFF',
  '💳🔥👩‍👩‍👧‍👦',
  'ǅ',
  '\u0000',
  'a\u0000b',
  'Ω≈ç√',
  '\u0301',
  '\n\r\t',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '%00',
  '../../etc/passwd',
  '${jndi:x}',
  '\\',
  '"',
);
const hostileStrings = fc.oneof(
  numberLikeStrings,
  trickyUnicode,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(300, 5_000, 40_000).map((length) => 'x'.repeat(length)),
);
export const wellFormed = (text: string) => text.replace(/\p{Surrogate}/gu, '\uFFFD');
const deepArray = (depth: number) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown;
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hugeNumbers,
  badAmounts,
  hostileStrings,
  fc.constantFrom(null, true, false, [], {}, [null], { '': '' }, deepArray(3_000)),
  fc.anything({ maxDepth: 3, withNullPrototype: false }),
);
export const unknownKeys = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'merchant_id', 'a[b]', '', ' ', 'livemode', '\u202Eid'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
);
/** Text that is not JSON (or not the JSON object a body must be): the rejection must be about the body. */
export const brokenJson = (valid: string) =>
  fc
    .oneof(
      fc.integer({ min: 1, max: Math.max(1, valid.length - 1) }).map((cut) => valid.slice(0, cut)),
      fc.constantFrom(
        valid.replace(/}$/, ',}'),
        valid.replace(/"/g, "'"),
        `${valid}${valid}`,
        '{"amount": NaN}',
        '{"a": 01}',
        '{a: 1}',
        'null',
        'true',
        '"text"',
        '42',
        '[1,2]',
        '[]',
        '{',
        '}',
        ' ',
        '{"a": undefined}',
        '{"a": "\\x41"}',
        `${valid}garbage`,
      ),
    )
    .filter((text) => !isJsonObject(text));
function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}
/** JSON that parses (a leading byte-order mark is tolerated), with contents a JavaScript object would not hold as sent. */
export const oddJson = fc.constantFrom(
  '\uFEFF{}',
  '{"a": 1e999999}',
  '{"a": "\\ud800"}',
  '{"a":"\\u0000"}',
  '{"__proto__": {"admin": true}}',
  '{"a": 1, "a": 2}',
  '{"constructor": {"prototype": {}}}',
);
/** Number literals JSON allows that JavaScript cannot hold exactly: they reach the schema as Infinity, 0 or a rounded value. */
export const rawNumberLiterals = fc.constantFrom(
  '1e999999',
  '-1e999999',
  '1e-999999',
  '123456789012345678901234567890',
  '-0.0',
  '1.0000000000000000001',
  '0.1e1',
  '1E2',
  '9007199254740993',
);
export const hostilePathSegments = fc.oneof(
  fc.constantFrom(
    '..',
    '../..',
    '..%2F..%2Fv1%2Fbalance',
    '%2e%2e',
    '%00',
    '%ZZ',
    '%E0%A4%A',
    '%C0%AF',
    '%',
    '%25',
    '%u0041',
    'x%0Ay',
    '%F0%9F%92%B3',
    '%ED%A0%80',
    encodeURIComponent('\u202Epay_1'),
    encodeURIComponent('pay_\u200B1'),
    'pay_' + 'a'.repeat(4_000),
    'a'.repeat(8_000),
    '-1',
    '0',
    'null',
    'undefined',
    '%20',
    ';',
    '~',
  ),
  // URL-encoded as a browser would (lone surrogates become U+FFFD).
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map((text) => encodeURIComponent(wellFormed(text))),
);
// Header values must be byte strings without CR, LF, NUL, DEL or outer spaces: fetch refuses anything else before it is sent.
export const hostileIdempotencyKeys = fc
  .oneof(
    fc.constantFrom('k'.repeat(256), 'k'.repeat(5_000), 'has spaces', '\u00ff\u00e9', 'tab\there', '"quoted"', 'reused-hostile-key', 'x'),
    fc.string({
      unit: fc
        .integer({ min: 0x20, max: 0xff })
        .filter((code) => code !== 0x7f)
        .map((code) => String.fromCharCode(code)),
      minLength: 1,
      maxLength: 300,
    }),
  )
  .filter((key) => key.trim() === key && key !== '');
export const hostileQueryValues = fc.oneof(
  numberLikeStrings,
  fc.constantFrom(
    '0',
    '101',
    '1000000',
    '99999999999999999999',
    '1e309',
    '2020-02-30',
    '1970-01-01T00:00:00Z',
    '-62135596800',
    '253402300800',
    '2038-01-19T03:14:08Z',
    'yesterday',
    '2026-11',
    '2026-13',
    'xx_123',
    'pay_' + 'z'.repeat(3_000),
  ),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);
