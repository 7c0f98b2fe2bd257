import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes ops filter on in the Temporal UI and CLI. Only @temporalio/common is
 * imported, so workflows may use this file.
 */
export const MerchantIdKey = defineSearchAttributeKey('MerchantId', SearchAttributeType.KEYWORD);
export const PaymentIdKey = defineSearchAttributeKey('PaymentId', SearchAttributeType.KEYWORD);
// Not plain "Status": the visibility query language rejects that name.
export const PaymentStatusKey = defineSearchAttributeKey('PaymentStatus', SearchAttributeType.KEYWORD);
export const RefundStatusKey = defineSearchAttributeKey('RefundStatus', SearchAttributeType.KEYWORD);
export const DisputeStatusKey = defineSearchAttributeKey('DisputeStatus', SearchAttributeType.KEYWORD);
// The tenth and last Keyword the dev server allows: payout-po_... workflows carry the payout id in their ID.
export const PayoutStatusKey = defineSearchAttributeKey('PayoutStatus', SearchAttributeType.KEYWORD);
export const AmountMinorKey = defineSearchAttributeKey('AmountMinor', SearchAttributeType.INT);
export const CurrencyKey = defineSearchAttributeKey('Currency', SearchAttributeType.KEYWORD);
/** The gateway the payment went to; after a failover, the one that decided it. */
export const GatewayKey = defineSearchAttributeKey('Gateway', SearchAttributeType.KEYWORD);
/** How many authorization attempts a payment that could fail over took (1 when the first account decided). */
export const AuthorizationAttemptsKey = defineSearchAttributeKey('AuthorizationAttempts', SearchAttributeType.INT);
// Refunds and disputes have no id attribute of their own: their workflow IDs (refund-re_..., dispute-dp_...) carry it, and the
// dev server (like a default SQL visibility store) allows only ten Keyword attributes.
/** On subscription workflows and the payment workflows they start. */
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const SubscriptionStatusKey = defineSearchAttributeKey('SubscriptionStatus', SearchAttributeType.KEYWORD);
export const NextBillingAtKey = defineSearchAttributeKey('NextBillingAt', SearchAttributeType.DATETIME);

/** Name → type, as `temporal server start-dev --search-attribute` and the operator API want them. */
export const CUSTOM_SEARCH_ATTRIBUTES = {
  MerchantId: 'Keyword',
  PaymentId: 'Keyword',
  PaymentStatus: 'Keyword',
  RefundStatus: 'Keyword',
  DisputeStatus: 'Keyword',
  PayoutStatus: 'Keyword',
  AmountMinor: 'Int',
  Currency: 'Keyword',
  Gateway: 'Keyword',
  AuthorizationAttempts: 'Int',
  CustomerId: 'Keyword',
  SubscriptionStatus: 'Keyword',
  NextBillingAt: 'Datetime',
} as const;
