import { describe, expect, it } from 'vitest';
import { periodOf, periodWindow, previousPeriod } from '../../src/billing/billing-period';
import { describePricing, draftFeeInvoices } from '../../src/billing/fee-invoice-lines';
import { escapeHtml } from '../../src/billing/fee-invoice-receipt';
import { feeInvoiceNumber } from '../../src/billing/fee-invoice-service';

describe('billing periods', () => {
  it('when a period is parsed, then its window is the UTC month, end exclusive, across a year end', () => {
    expect(periodWindow('2026-11')).toEqual({
      period: '2026-11',
      start: new Date('2026-11-01T00:00:00Z'),
      end: new Date('2026-12-01T00:00:00Z'),
    });
    expect(periodWindow('2026-12')?.end).toEqual(new Date('2027-01-01T00:00:00Z'));
    for (const bad of ['2026-13', '2026-00', '2026-1', '202611', '2026-11-01', ' 2026-11']) expect(periodWindow(bad)).toBeNull();
  });

  it('when a run starts on the 1st, then its default period is the month before, in UTC', () => {
    expect(previousPeriod('2026-12-01T01:00:00Z')).toBe('2026-11');
    expect(previousPeriod('2027-01-01T00:00:00Z')).toBe('2026-12');
    expect(previousPeriod('2026-03-31T23:59:59.999Z')).toBe('2026-02');
    expect(periodOf('2026-11-30T23:59:59.999Z')).toBe('2026-11');
  });
});

describe('fee invoice drafts', () => {
  const pricing = { percentBps: 290, fixedMinor: 30 };

  it("when pricing is described, then it reads as a contract states it, in the currency's decimals", () => {
    expect(describePricing(pricing, 'USD')).toBe('2.90% + 0.30');
    expect(describePricing({ percentBps: 1250, fixedMinor: 0 }, 'EUR')).toBe('12.50% + 0.00');
    expect(describePricing({ percentBps: 5, fixedMinor: 30 }, 'JPY')).toBe('0.05% + 30');
  });

  it('when fees come at current pricing, earlier pricing, other entries and disputes, then each is a line and the totals are their sums', () => {
    const [eur, usd] = draftFeeInvoices(
      [
        { currency: 'USD', fromCaptures: false, atPricing: false, quantity: 1, volumeMinor: 0, amountMinor: 7 },
        { currency: 'USD', fromCaptures: true, atPricing: false, quantity: 2, volumeMinor: 11_000, amountMinor: 379 },
        { currency: 'USD', fromCaptures: true, atPricing: true, quantity: 3, volumeMinor: 10_000, amountMinor: 380 },
        { currency: 'EUR', fromCaptures: true, atPricing: true, quantity: 1, volumeMinor: 5_000, amountMinor: 175 },
      ],
      [{ currency: 'USD', quantity: 2, amountMinor: 3_000, minFeeMinor: 1_500, maxFeeMinor: 1_500 }],
      pricing,
    );
    expect(eur).toMatchObject({ currency: 'EUR', processingFeesMinor: 175, disputeFeesMinor: 0, totalMinor: 175 });
    expect(usd.currency).toBe('USD');
    expect(usd.lines.map((line) => [line.position, line.kind, line.description, line.unitDescription, line.amountMinor])).toEqual([
      [1, 'processing_fees', 'Card processing fees', '2.90% + 0.30 per charge', 380],
      [2, 'processing_fees', 'Card processing fees at earlier pricing', 'as priced at each charge', 379],
      [3, 'other_fees', 'Other fees withheld from your balance', null, 7],
      [4, 'dispute_fees', 'Dispute fees', '15.00 per dispute', 3_000],
    ]);
    expect(usd).toMatchObject({ processingFeesMinor: 766, disputeFeesMinor: 3_000, totalMinor: 3_766 });
  });

  it('when invoices are numbered, then the number carries the period and a zero-padded sequence', () => {
    expect(feeInvoiceNumber('2026-11', 7)).toBe('FI-2026-11-00007');
    expect(feeInvoiceNumber('2026-11', 123_456)).toBe('FI-2026-11-123456');
  });

  it('when text is escaped for the receipt, then no markup survives', () => {
    expect(escapeHtml(`<b>Acme & Co</b> "quoted" 'single'`)).toBe('&lt;b&gt;Acme &amp; Co&lt;/b&gt; &quot;quoted&quot; &#39;single&#39;');
  });
});
