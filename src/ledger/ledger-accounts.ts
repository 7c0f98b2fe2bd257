/** Account names. Balances are sums of postings per account and currency; positive credits the holder. */
export const ledgerAccounts = {
  merchantPending: (merchantId: string) => `merchant:${merchantId}:pending`,
  merchantAvailable: (merchantId: string) => `merchant:${merchantId}:available`,
  merchantReserve: (merchantId: string) => `merchant:${merchantId}:reserve`,
  gatewayClearing: (gateway: string) => `platform:gateway_clearing:${gateway}`,
  feeRevenue: () => 'platform:fee_revenue',
  disputeFeeRevenue: () => 'platform:dispute_fee_revenue',
};
