/** Account names. Balances are sums of postings per account and currency; positive credits the holder. */
export const ledgerAccounts = {
  merchantPending: (merchantId: string) => `merchant:${merchantId}:pending`,
  merchantAvailable: (merchantId: string) => `merchant:${merchantId}:available`,
  merchantReserve: (merchantId: string) => `merchant:${merchantId}:reserve`,
  /** Processing fees withheld from captures and not yet invoiced; the monthly fee invoice moves them to fee revenue. */
  merchantFeesPayable: (merchantId: string) => `merchant:${merchantId}:fees_payable`,
  gatewayClearing: (gateway: string) => `platform:gateway_clearing:${gateway}`,
  feeRevenue: () => 'platform:fee_revenue',
  disputeFeeRevenue: () => 'platform:dispute_fee_revenue',
  /** Payouts sent to the bank and not yet confirmed paid: no longer the merchant's balance, not yet out of ours. */
  payoutsInTransit: () => 'platform:payouts_in_transit',
  /** Money paid out to merchants' banks over a network; a returned payout comes back out of it. */
  payoutBank: (network: string) => `platform:payout_bank:${network}`,
  payoutFeeRevenue: () => 'platform:payout_fee_revenue',
};

/** The kinds of merchant account, as `merchant:<id>:<kind>` names them. */
export const MERCHANT_ACCOUNT_KINDS = ['pending', 'available', 'reserve', 'fees_payable'] as const;
export type MerchantAccountKind = (typeof MERCHANT_ACCOUNT_KINDS)[number];

export function merchantAccountKind(account: string): MerchantAccountKind | undefined {
  const kind = account.split(':')[2];
  return (MERCHANT_ACCOUNT_KINDS as readonly string[]).includes(kind) && account.startsWith('merchant:')
    ? (kind as MerchantAccountKind)
    : undefined;
}
