import { randomBytes } from 'node:crypto';
import { cardLabel, formatAmount, formatDate, REFUND_STATUS_LABELS, STATUS_LABELS, type ReceiptFacts } from './receipt-facts';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);
}

/** A fresh nonce for one response's inline style. */
export function newStyleNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The headers every page of ours carries: no script, no frame, no outside asset, the inline style only by
 * its nonce, nothing cached or sent on as a referrer. `formAction` lets a page with a form post to itself.
 */
export function pageSecurityHeaders({ nonce, formAction }: { nonce: string; formAction?: string }): Record<string, string> {
  const policy = [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    `form-action ${formAction ?? "'none'"}`,
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'content-security-policy': policy,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  };
}

// Contrast: body text 16.1:1 and muted text 7.0:1 on white (WCAG AAA); one column that fits a 320 px screen.
const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1a1a1a;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:36rem;margin:0 auto;padding:1.5rem 1rem}
.card{background:#fff;border:1px solid #d0d4da;border-radius:8px;padding:1.25rem}
h1{font-size:1.375rem;margin:0 0 .25rem}
h2{font-size:1.125rem;margin:1.5rem 0 .5rem}
.amount{font-size:1.75rem;font-weight:700;margin:.25rem 0 1rem}
.muted{color:#555}
dl{display:grid;grid-template-columns:minmax(7rem,auto) 1fr;gap:.5rem 1rem;margin:0}
dt{color:#555}
dd{margin:0;overflow-wrap:anywhere}
table{width:100%;border-collapse:collapse}
caption{text-align:left;color:#555;padding-bottom:.25rem}
th,td{text-align:left;padding:.5rem .25rem;border-bottom:1px solid #d0d4da}
td.num,th.num{text-align:right}
tfoot th,tfoot td{font-weight:700;border-bottom:0}
`;

/** A whole page: the one shell every page of ours shares (lang, viewport, inline style under its nonce). `title` and `body` are HTML already escaped. */
export function htmlPage({ title, body, nonce }: { title: string; body: string; nonce?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style${nonce ? ` nonce="${escapeHtml(nonce)}"` : ''}>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function refundsSection(facts: ReceiptFacts): string {
  if (facts.refunds.length === 0) return '';
  const rows = facts.refunds
    .map(
      (refund) =>
        `<tr><td>${escapeHtml(formatDate(refund.createdAt))}</td><td class="num">${escapeHtml(formatAmount(refund.amountMinor, facts.currency))}</td><td>${escapeHtml(REFUND_STATUS_LABELS[refund.status] ?? refund.status)}</td></tr>`,
    )
    .join('\n');
  return `<h2>Refunds</h2>
<table>
<caption>Refunds of this payment</caption>
<thead><tr><th scope="col">Date</th><th scope="col" class="num">Amount</th><th scope="col">Status</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr><th scope="row">Total refunded</th><td class="num">${escapeHtml(formatAmount(facts.refundedMinor, facts.currency))}</td><td></td></tr></tfoot>
</table>`;
}

/** The receipt page of one payment. Every merchant-supplied string is escaped here. */
export function renderReceiptPage(facts: ReceiptFacts, nonce?: string): string {
  const merchant = escapeHtml(facts.merchantName);
  const amount = escapeHtml(formatAmount(facts.amountMinor, facts.currency));
  const description = facts.description ? `<dt>Description</dt><dd>${escapeHtml(facts.description)}</dd>` : '';
  const body = `<div class="card">
<h1>Receipt from ${merchant}</h1>
<p class="amount">${amount}</p>
<dl>
<dt>Amount</dt><dd>${amount}</dd>
${description}
<dt>Paid with</dt><dd>${escapeHtml(cardLabel(facts.card))}</dd>
<dt>Date</dt><dd>${escapeHtml(formatDate(facts.paidAt))}</dd>
<dt>Status</dt><dd>${escapeHtml(STATUS_LABELS[facts.status])}</dd>
<dt>Receipt number</dt><dd>${escapeHtml(facts.paymentId)}</dd>
</dl>
${refundsSection(facts)}
<p class="muted">Keep this page for your records. Questions about this payment go to ${merchant}.</p>
</div>`;
  return htmlPage({ title: `Receipt from ${merchant}`, body, nonce });
}

/** The answer to a token that opens no receipt: the same page whether it is malformed, unknown or not yet paid. */
export function renderReceiptNotFoundPage(nonce?: string): string {
  const body = `<div class="card">
<h1>Receipt not found</h1>
<p>This receipt link is not valid. Check that the whole link from your email was opened, or ask the shop that charged you.</p>
</div>`;
  return htmlPage({ title: 'Receipt not found', body, nonce });
}
