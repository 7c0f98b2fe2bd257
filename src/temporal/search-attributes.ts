import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes ops filter on in the Temporal UI and CLI. Only @temporalio/common is
 * imported, so workflows may use this file.
 */
export const MerchantIdKey = defineSearchAttributeKey('MerchantId', SearchAttributeType.KEYWORD);
export const PaymentIdKey = defineSearchAttributeKey('PaymentId', SearchAttributeType.KEYWORD);
// Not plain "Status": the visibility query language rejects that name.
export const PaymentStatusKey = defineSearchAttributeKey('PaymentStatus', SearchAttributeType.KEYWORD);
export const RefundIdKey = defineSearchAttributeKey('RefundId', SearchAttributeType.KEYWORD);
export const RefundStatusKey = defineSearchAttributeKey('RefundStatus', SearchAttributeType.KEYWORD);
export const DisputeIdKey = defineSearchAttributeKey('DisputeId', SearchAttributeType.KEYWORD);
export const DisputeStatusKey = defineSearchAttributeKey('DisputeStatus', SearchAttributeType.KEYWORD);
export const AmountMinorKey = defineSearchAttributeKey('AmountMinor', SearchAttributeType.INT);
export const CurrencyKey = defineSearchAttributeKey('Currency', SearchAttributeType.KEYWORD);
export const GatewayKey = defineSearchAttributeKey('Gateway', SearchAttributeType.KEYWORD);
// The dev server allows ten Keyword attributes: subscriptions are found by their workflow ID (subscription-sub_...) and MerchantId.
export const SubscriptionStatusKey = defineSearchAttributeKey('SubscriptionStatus', SearchAttributeType.KEYWORD);
export const NextBillingAtKey = defineSearchAttributeKey('NextBillingAt', SearchAttributeType.DATETIME);

/** Name → type, as `temporal server start-dev --search-attribute` and the operator API want them. */
export const CUSTOM_SEARCH_ATTRIBUTES = {
  MerchantId: 'Keyword',
  PaymentId: 'Keyword',
  PaymentStatus: 'Keyword',
  RefundId: 'Keyword',
  RefundStatus: 'Keyword',
  DisputeId: 'Keyword',
  DisputeStatus: 'Keyword',
  AmountMinor: 'Int',
  Currency: 'Keyword',
  Gateway: 'Keyword',
  SubscriptionStatus: 'Keyword',
  NextBillingAt: 'Datetime',
} as const;
