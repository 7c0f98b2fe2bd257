import { cardLabel, formatAmount, formatDate, REFUND_STATUS_LABELS, STATUS_LABELS, type ReceiptFacts } from './receipt-facts';
import { escapeHtml, htmlPage } from './receipt-page';

export interface ReceiptEmailContent {
  subject: string;
  text: string;
  html: string;
}

/** What the email announces: the payment, or one refund of it. */
export type ReceiptOccasion = { kind: 'payment' } | { kind: 'refund'; refundId: string };

// A merchant name is free text: no line break may reach a header.
const oneLine = (text: string) => text.replace(/[\r\n\t]+/g, ' ').trim();

/** The receipt email (text and HTML parts, the same facts as the page and its link). Pure. */
export function renderReceiptEmail(facts: ReceiptFacts, occasion: ReceiptOccasion): ReceiptEmailContent {
  const merchant = oneLine(facts.merchantName);
  const refund = occasion.kind === 'refund' ? facts.refunds.find((each) => each.id === occasion.refundId) : undefined;
  const subject = occasion.kind === 'refund' ? `Refund from ${merchant}` : `Your receipt from ${merchant}`;
  const amount = formatAmount(facts.amountMinor, facts.currency);
  const lines: [string, string][] = [
    ['Amount', amount],
    ...(facts.description ? [['Description', oneLine(facts.description)] as [string, string]] : []),
    ['Paid with', cardLabel(facts.card)],
    ['Date', formatDate(facts.paidAt)],
    ['Status', STATUS_LABELS[facts.status]],
    ['Receipt number', facts.paymentId],
  ];
  const refundLines: [string, string][] = facts.refunds.map((each) => [
    formatDate(each.createdAt),
    `${formatAmount(each.amountMinor, facts.currency)} (${REFUND_STATUS_LABELS[each.status] ?? each.status})`,
  ]);
  const intro = refund
    ? `${merchant} refunded ${formatAmount(refund.amountMinor, facts.currency)} of your payment of ${amount}.`
    : `Thank you for your payment of ${amount} to ${merchant}.`;

  const text = [
    intro,
    '',
    ...lines.map(([label, value]) => `${label}: ${value}`),
    ...(refundLines.length
      ? [
          '',
          'Refunds:',
          ...refundLines.map(([date, value]) => `  ${date}: ${value}`),
          `Total refunded: ${formatAmount(facts.refundedMinor, facts.currency)}`,
        ]
      : []),
    '',
    `View your receipt: ${facts.receiptUrl}`,
    '',
  ].join('\n');

  const html = htmlPage({
    title: escapeHtml(subject),
    body: `<div class="card">
<h1>${escapeHtml(subject)}</h1>
<p>${escapeHtml(intro)}</p>
<dl>
${lines.map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`).join('\n')}
</dl>
${
  refundLines.length
    ? `<h2>Refunds</h2>
<table><thead><tr><th scope="col">Date</th><th scope="col">Amount</th></tr></thead><tbody>
${refundLines.map(([date, value]) => `<tr><td>${escapeHtml(date)}</td><td>${escapeHtml(value)}</td></tr>`).join('\n')}
</tbody><tfoot><tr><th scope="row">Total refunded</th><td>${escapeHtml(formatAmount(facts.refundedMinor, facts.currency))}</td></tr></tfoot></table>`
    : ''
}
<p><a href="${escapeHtml(facts.receiptUrl)}">View your receipt</a></p>
</div>`,
  });
  return { subject, text, html };
}
