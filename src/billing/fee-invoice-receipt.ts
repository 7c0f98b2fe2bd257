import { formatMinor } from '../shared/money';
import type { FeeInvoiceRecord } from './fee-invoice-record';

const ISSUER = 'Ledgerflow';
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Everything interpolated into the receipt goes through here: merchant names are arbitrary text. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string,
  );
}

/** "1 December 2026": in UTC, spelled out, so no reader mistakes day for month. */
function longDate(date: Date): string {
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** "1,234.56": grouped for reading, exact (from minor units, never a float). */
function amount(minor: number, currency: string): string {
  const [whole, fraction] = formatMinor(minor, currency).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

const STYLE = `
  body { font: 14px/1.5 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1f2328; max-width: 780px; margin: 40px auto; padding: 0 32px; }
  header { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 2px solid #1f2328; padding-bottom: 12px; }
  h1 { font-size: 24px; margin: 0; }
  .status { font-weight: 600; color: #1a7f37; border: 1px solid #1a7f37; border-radius: 4px; padding: 2px 10px; text-transform: uppercase; letter-spacing: .05em; }
  .parties { display: flex; gap: 64px; margin: 24px 0; }
  .parties h2, .meta th { font-size: 12px; font-weight: 600; color: #59636e; text-transform: uppercase; letter-spacing: .04em; margin: 0 0 4px; text-align: left; }
  .meta { border-collapse: collapse; margin-bottom: 24px; }
  .meta th, .meta td { padding: 3px 24px 3px 0; vertical-align: top; }
  .meta th { text-transform: none; font-size: 13px; }
  table.lines { width: 100%; border-collapse: collapse; }
  .lines th { font-size: 12px; color: #59636e; text-align: left; border-bottom: 1px solid #d1d9e0; padding: 8px 8px 8px 0; }
  .lines td { border-bottom: 1px solid #eff2f5; padding: 8px 8px 8px 0; vertical-align: top; }
  .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  .totals td { border: 0; padding: 4px 8px 4px 0; }
  .totals .grand td { font-weight: 700; font-size: 16px; border-top: 2px solid #1f2328; padding-top: 8px; }
  .note { color: #59636e; font-size: 12px; margin-top: 32px; }
  @media print { body { margin: 0; max-width: none; } }
`;

/**
 * The printable receipt of a fee invoice: a self-contained HTML document (no scripts, no external
 * assets), with every value from the database escaped.
 */
export function renderFeeInvoiceReceipt(invoice: FeeInvoiceRecord): string {
  const e = escapeHtml;
  const { currency } = invoice;
  const money = (minor: number) => `${e(currency)} ${e(amount(minor, currency))}`;
  const lastDay = new Date(invoice.periodEnd.getTime() - 86_400_000);
  const rows = invoice.lines
    .map(
      (line) => `
        <tr>
          <td>${e(line.description)}</td>
          <td class="num">${e(line.quantity)}</td>
          <td class="num">${line.volumeMinor === null ? '' : money(line.volumeMinor)}</td>
          <td>${line.unitDescription === null ? '' : e(line.unitDescription)}</td>
          <td class="num">${money(line.amountMinor)}</td>
        </tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Fee invoice ${e(invoice.number)}</title>
  <style>${STYLE}</style>
</head>
<body>
  <header>
    <h1>Fee invoice</h1>
    <span class="status">${e(invoice.status)}</span>
  </header>
  <section class="parties">
    <div><h2>From</h2>${e(ISSUER)}</div>
    <div><h2>Billed to</h2>${e(invoice.merchantName)}<br>Merchant ID ${e(invoice.merchantId)}</div>
  </section>
  <table class="meta">
    <tr><th>Invoice number</th><td>${e(invoice.number)}</td></tr>
    <tr><th>Date of issue</th><td>${e(longDate(invoice.createdAt))}</td></tr>
    <tr><th>Billing period</th><td>${e(longDate(invoice.periodStart))} – ${e(longDate(lastDay))} (UTC)</td></tr>
    <tr><th>Currency</th><td>${e(currency)}</td></tr>
    <tr><th>Invoice ID</th><td>${e(invoice.id)}</td></tr>
  </table>
  <table class="lines">
    <thead>
      <tr><th>Description</th><th class="num">Qty</th><th class="num">Volume</th><th>Pricing</th><th class="num">Amount</th></tr>
    </thead>
    <tbody>${rows}
    </tbody>
    <tfoot class="totals">
      <tr><td colspan="4">Processing fees</td><td class="num">${money(invoice.processingFeesMinor)}</td></tr>
      <tr><td colspan="4">Dispute fees</td><td class="num">${money(invoice.disputeFeesMinor)}</td></tr>
      <tr class="grand"><td colspan="4">Total</td><td class="num">${money(invoice.totalMinor)}</td></tr>
      <tr><td colspan="4">Amount paid (deducted from your balance)</td><td class="num">${money(invoice.totalMinor)}</td></tr>
      <tr><td colspan="4">Amount due</td><td class="num">${money(0)}</td></tr>
    </tfoot>
  </table>
  <p class="note">
    These fees were deducted from your balance as they were incurred: processing fees when each charge was captured,
    dispute fees when each dispute was opened. Nothing is due.${invoice.ledgerEntryId ? ` Ledger entry ${e(invoice.ledgerEntryId)}.` : ''}
  </p>
</body>
</html>
`;
}
