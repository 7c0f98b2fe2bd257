import { describe, expect, it } from 'vitest';
import { reconcile, type LedgerSettlementItem } from '../../src/reconciliation/reconcile';
import { formatSettlementCsv, parseSettlementCsv, SettlementFileError } from '../../src/reconciliation/settlement-csv';

const HEADER = 'gateway_reference,amount,currency,date';

describe('settlement files', () => {
  it('when a file has a byte order mark, CRLF line ends, quoted fields and trailing blank lines, then its rows are read exactly in minor units', () => {
    const rows = parseSettlementCsv(
      `\uFEFF${HEADER}\r\n"ch_1",100.00,USD,2026-11-20\r\n"ch_""2""",-0.05,USD,2026-11-21\r\nch_3,1500,JPY,2026-11-21\r\nch_4,1.125,KWD,2026-11-21\r\n\r\n`,
    );
    expect(rows).toEqual([
      { line: 2, reference: 'ch_1', amountMinor: 10_000, currency: 'USD', date: '2026-11-20' },
      expect.objectContaining({ line: 3, reference: 'ch_"2"', amountMinor: -5 }),
      expect.objectContaining({ line: 4, amountMinor: 1_500, currency: 'JPY' }),
      expect.objectContaining({ line: 5, amountMinor: 1_125, currency: 'KWD' }),
    ]);
  });

  it('when rows are written and read back, then they are the same rows', () => {
    const rows = [
      { reference: 'ch_a', amountMinor: 12_345, currency: 'USD', date: '2026-11-20' },
      { reference: 're_b', amountMinor: -1, currency: 'EUR', date: '2026-11-20' },
      { reference: 'ch_c', amountMinor: 7, currency: 'JPY', date: '2026-11-21' },
    ];
    expect(parseSettlementCsv(formatSettlementCsv(rows)).map(({ line: _line, ...row }) => row)).toEqual(rows);
  });

  it.each([
    ['1.0', 'JPY', 2],
    ['10.000', 'USD', 2],
    ['01.00', 'USD', 2],
    ['+1.00', 'USD', 2],
    ['1e3', 'USD', 2],
    ['.50', 'USD', 2],
    ['9999999999999999', 'JPY', 2],
  ])('when the amount is %s %s, then the error names column %i', (amount, currency, column) => {
    const error = (() => {
      try {
        parseSettlementCsv(`${HEADER}\nch_1,${amount},${currency},2026-11-20`);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(SettlementFileError);
    expect(error).toMatchObject({ line: 2, column });
  });
});

describe('reconcile', () => {
  const row = (reference: string, amountMinor: number, line = 2) => ({ line, reference, amountMinor, currency: 'USD', date: '2026-11-20' });
  const entry = (reference: string | null, amountMinor: number, entryId = `je_${reference}`): LedgerSettlementItem => ({
    entryId,
    sourceType: 'payment',
    sourceId: `pay_${reference}`,
    reference,
    amountMinor,
    currency: 'USD',
  });

  it('when the ledger holds two entries under one reference, then the row pairs with the one that agrees and the other is missing in the settlement', () => {
    const { items, summary } = reconcile([row('ch_1', 500)], [entry('ch_1', 400, 'je_a'), entry('ch_1', 500, 'je_b'), entry(null, 100)]);
    expect(summary).toEqual({ matched: 1, amount_mismatch: 0, missing_in_ledger: 0, missing_in_settlement: 2 });
    expect(items[0]).toMatchObject({ category: 'matched', ledger: { entryId: 'je_b' } });
    expect(items.slice(1).map((item) => item.ledger?.entryId)).toEqual(['je_a', 'je_null']);
  });

  it('when the currency differs, then the amounts do not match even if the digits do', () => {
    const { items } = reconcile([row('ch_1', 500)], [{ ...entry('ch_1', 500), currency: 'EUR' }]);
    expect(items).toEqual([expect.objectContaining({ category: 'amount_mismatch' })]);
  });
});
