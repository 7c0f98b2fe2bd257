import { formatMinor } from '../shared/money';

/** What a receipt says, for the page and the emails alike. Pure data: no I/O builds it here. */
export interface ReceiptFacts {
  merchantName: string;
  paymentId: string;
  amountMinor: number;
  currency: string;
  description: string | null;
  /** Brand always when known; last 4 only for a card of our vault (a named sandbox token has none). */
  card: { brand: string; last4: string | null } | null;
  paidAt: Date;
  status: 'paid' | 'partially_refunded' | 'refunded';
  refunds: { id: string; amountMinor: number; status: string; createdAt: Date }[];
  /** The sum of the succeeded refunds. */
  refundedMinor: number;
  receiptUrl: string;
}

const BRAND_NAMES: Record<string, string> = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express' };

export function brandName(brand: string): string {
  return BRAND_NAMES[brand] ?? brand.charAt(0).toUpperCase() + brand.slice(1);
}

/** "USD 1,234.50", "JPY 5,000", "KWD 1.250": the currency's own number of decimals, thousands grouped. */
export function formatAmount(minor: number, currency: string): string {
  const [whole, fraction] = formatMinor(minor, currency).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${currency} ${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** "6 December 2026, 17:40 UTC": one unambiguous form whatever the reader's locale. */
export function formatDate(at: Date): string {
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${at.getUTCDate()} ${months[at.getUTCMonth()]} ${at.getUTCFullYear()}, ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())} UTC`;
}

export const STATUS_LABELS: Record<ReceiptFacts['status'], string> = {
  paid: 'Paid',
  partially_refunded: 'Partially refunded',
  refunded: 'Refunded',
};

export const REFUND_STATUS_LABELS: Record<string, string> = { succeeded: 'Refunded', pending: 'Pending', failed: 'Failed' };

export function cardLabel(card: ReceiptFacts['card']): string {
  if (!card) return 'Card';
  return card.last4 ? `${brandName(card.brand)} ending in ${card.last4}` : brandName(card.brand);
}

/** The payment's status for the customer, from what it captured and what its refunds gave back. */
export function receiptStatus(capturedMinor: number, refundedMinor: number): ReceiptFacts['status'] {
  if (refundedMinor <= 0) return 'paid';
  return refundedMinor >= capturedMinor ? 'refunded' : 'partially_refunded';
}
