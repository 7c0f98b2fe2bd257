import { describe, expect, it } from 'vitest';
import { applyBasisPointsHalfEven, formatMinor, parseMajorAmount } from '../../src/shared/money';
import { processingFeeMinor } from '../../src/ledger/fees';

describe('parseMajorAmount', () => {
  it.each([
    [100, 'USD', 10_000],
    ['100.00', 'USD', 10_000],
    [100.1, 'USD', 10_010],
    ['0.01', 'USD', 1],
    [19.99, 'USD', 1_999],
    [1500, 'JPY', 1_500],
    ['1500.0', 'JPY', 1_500],
    ['1.125', 'KWD', 1_125],
    [0.3, 'USD', 30],
  ])('when %p %s is parsed, then it is %i minor units exactly', (value, currency, minor) => {
    expect(parseMajorAmount(value, currency)).toEqual({ ok: true, minor });
  });

  it.each([
    [0, 'USD'],
    [-1, 'USD'],
    ['-1', 'USD'],
    [10.001, 'USD'],
    ['1.5', 'JPY'],
    ['1.0001', 'KWD'],
    [Number.NaN, 'USD'],
    [Number.POSITIVE_INFINITY, 'USD'],
    [1e21, 'USD'],
    [1e-7, 'USD'],
    ['1e3', 'USD'],
    [' ', 'USD'],
    ['0x10', 'USD'],
    ['1000000000000000', 'USD'],
  ])('when %p %s is parsed, then it is refused with a reason', (value, currency) => {
    const result = parseMajorAmount(value as number | string, currency);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeGreaterThan(5);
  });
});

describe('formatMinor', () => {
  it.each([
    [10_050, 'USD', '100.50'],
    [5, 'USD', '0.05'],
    [1_500, 'JPY', '1500'],
    [1_125, 'KWD', '1.125'],
    [-262, 'USD', '-2.62'],
  ])('when %i %s is formatted, then %s', (minor, currency, text) => expect(formatMinor(minor, currency)).toBe(text));
});

describe('fees round half to even', () => {
  it.each([
    // 2.9% of 0.50 = 1.45 cents → 1 (even); of 1.50 = 4.35 → 4; of 2.50 = 7.25 → 7; of 0.70 = 2.03 → 2
    [50, 290, 1],
    [150, 290, 4],
    [250, 290, 7],
    [70, 290, 2],
    // exact halves: 12.5 → 12, 13.5 → 14
    [125, 1000, 12],
    [135, 1000, 14],
  ])('when %i minor at %i bps, then the percentage part is %i', (value, bps, fee) => {
    expect(applyBasisPointsHalfEven(value, bps)).toBe(fee);
  });

  it('when 100.00 USD is captured at 2.9% + 0.30, then the fee is 3.20', () => {
    expect(processingFeeMinor(10_000, { percentBps: 290, fixedMinor: 30 })).toBe(320);
  });
});
