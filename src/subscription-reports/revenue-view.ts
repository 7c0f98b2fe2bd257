import { minorToMajorNumber } from '../shared/money';
import { apiTimestamp } from '../shared/timestamps';
import type { RevenueFigures } from './revenue-figures';

/** The failed-payment recovery rate, to four decimals; null when nothing failed. */
function recoveryRate(recovered: number, failed: number): number | null {
  return failed === 0 ? null : Math.round((recovered / failed) * 10_000) / 10_000;
}

/** One currency's figures as the API shows them, in major units. */
export function renderRevenueCurrency(f: RevenueFigures): Record<string, unknown> {
  const major = (minor: number) => minorToMajorNumber(minor, f.currency);
  return {
    currency: f.currency,
    mrr: major(f.mrrMinor),
    mrr_start: major(f.mrrStartMinor),
    new: { count: f.newCount, mrr: major(f.newMrrMinor) },
    churned: { count: f.churnedCount, mrr: major(f.churnedMrrMinor) },
    net_mrr_change: major(f.mrrMinor - f.mrrStartMinor),
    invoices_paid: { count: f.invoicesPaidCount, amount: major(f.invoicesPaidMinor) },
    failed_payments: { count: f.failedCount, amount: major(f.failedMinor) },
    recovered: { count: f.recoveredCount, amount: major(f.recoveredMinor), rate: recoveryRate(f.recoveredCount, f.failedCount) },
  };
}

/** A merchant's subscription report for one month. */
export function renderRevenueReport(month: string, asOf: Date, stored: boolean, figures: RevenueFigures[]): Record<string, unknown> {
  return { object: 'subscription_report', month, as_of: apiTimestamp(asOf), stored, currencies: figures.map(renderRevenueCurrency) };
}
