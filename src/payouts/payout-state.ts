/** A payout's state as its workflow owns it. Pure: the workflow bundle imports this file. */

export const PAYOUT_STATUSES = ['pending', 'in_transit', 'paid', 'failed', 'canceled'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

/** Why a bank refused or returned a transfer, as the API reports it (Stripe's payout failure codes). */
export const PAYOUT_FAILURE_CODES = [
  'account_closed',
  'account_frozen',
  'insufficient_funds',
  'invalid_account_number',
  'no_account',
  'debit_not_authorized',
  'invalid_currency',
  'gateway_balance_insufficient',
  'could_not_process',
] as const;
export type PayoutFailureCode = (typeof PAYOUT_FAILURE_CODES)[number];

export const PAYOUT_FAILURE_MESSAGES: Record<PayoutFailureCode, string> = {
  account_closed: 'The bank account has been closed.',
  account_frozen: 'The bank account has been frozen.',
  insufficient_funds: 'The bank could not take the transfer (insufficient funds on a debit leg).',
  invalid_account_number: 'The bank account number is not valid at the bank.',
  no_account: 'The bank account does not exist.',
  debit_not_authorized: 'The bank refused the transfer: it is not authorized on this account.',
  invalid_currency: 'The bank account cannot take payouts in this currency.',
  gateway_balance_insufficient:
    "The gateway account's own balance did not cover the payout; nothing was sent, and the amount and fee are available again.",
  could_not_process: 'The bank could not process this payout.',
};

/**
 * The networks a payout can travel over: our sandbox bank (to one of the merchant's bank accounts),
 * or a gateway's payouts from the merchant's account there (Stripe pays that account's own bank account).
 */
export const PAYOUT_NETWORKS = ['sandbox_bank', 'stripe'] as const;
export type PayoutNetworkName = (typeof PAYOUT_NETWORKS)[number];

export interface PayoutWorkflowInput {
  payoutId: string;
  merchantId: string;
  livemode: boolean;
  amountMinor: number;
  /** The payout fee, taken from the available balance beside the amount; 0 when none is configured. */
  feeMinor: number;
  currency: string;
  /** One of our bank accounts, for the sandbox bank; null for a gateway's payout. */
  bankAccountId: string | null;
  /**
   * Shown on the payout and in the UI; the number itself never enters a workflow. Null for a
   * gateway's payout until the gateway names its destination.
   */
  bankAccountLast4: string | null;
  /** The merchant's gateway account a gateway payout draws on (its credentials stay in the database). */
  gatewayAccountId?: string | null;
  network: PayoutNetworkName;
  description: string | null;
  metadata: Record<string, string>;
  /** Made by the merchant's payout schedule rather than a POST /v1/payouts. */
  automatic: boolean;
  createdAt: string;
  /** How long the payout stays pending (and cancelable) before it is sent to the bank. */
  submitDelayMs: number;
  /** How often and how long a paid payout is watched for a return; a week, asked daily, when absent. */
  returnWatch?: { everyMs: number; forMs: number };
}

export interface PayoutState extends PayoutWorkflowInput {
  /** `rejected`: the available balance did not cover it when its turn came; nothing was written. */
  status: PayoutStatus | 'rejected';
  /** The bank's transfer id, once submitted. */
  bankReference: string | null;
  /** The day (YYYY-MM-DD, UTC) the bank expects the money to arrive. */
  arrivalDate: string | null;
  failureCode: PayoutFailureCode | 'balance_insufficient' | null;
  failureMessage: string | null;
  /** True once a paid payout came back from the bank (a late failure): the money is available again. */
  returned: boolean;
  /** The bank's value times of the payment and of a return (ISO 8601), as it reported them. */
  paidAt?: string | null;
  returnedAt?: string | null;
}

export function payoutWorkflowId(payoutId: string): string {
  return `payout-${payoutId}`;
}

/** The workflow that runs a merchant's scheduled payouts (the Temporal Schedule's id is the same). */
export function payoutScheduleId(merchantId: string): string {
  return `payouts-${merchantId}`;
}
