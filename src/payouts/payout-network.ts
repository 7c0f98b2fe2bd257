import type { PayoutFailureCode, PayoutNetworkName } from './payout-state';

/** A transfer to a merchant's bank account, as the payout workflow asks the network for it. */
export interface TransferRequest {
  /** Stable per payout: the network answers a repeated submission with the first transfer. */
  idempotencyKey: string;
  payoutId: string;
  merchantId: string;
  livemode: boolean;
  amountMinor: number;
  currency: string;
  bankAccountId: string;
  bankAccountLast4: string;
  /** The workflow's clock when it asked (ISO 8601); the sandbox bank dates the transfer by it, so time-skipping tests see days pass. */
  requestedAt: string;
}

export interface SubmittedTransfer {
  reference: string;
  /** YYYY-MM-DD (UTC): when the bank expects the money to arrive. */
  arrivalDate: string;
  /** When the bank expects to have paid it (ISO 8601): the payout asks again then. */
  arrivesAt: string;
}

/** What the bank says of a transfer on a given day. */
export type TransferStatus =
  | { status: 'in_transit' }
  /** `paidAt`: the bank's value time (ISO 8601), the day its statement lists the movement on. */
  | { status: 'paid'; paidAt: string }
  | { status: 'failed'; failureCode: PayoutFailureCode }
  /** Paid, then sent back by the receiving bank; `returnedAt` is the return's value time. */
  | { status: 'returned'; failureCode: PayoutFailureCode; paidAt: string; returnedAt: string };

/**
 * A bank network that moves money out to merchants' accounts. Like the gateway adapters it is
 * stateless towards us: a submission is keyed, and what happened is asked, never assumed.
 */
export interface PayoutNetwork {
  readonly name: PayoutNetworkName;
  /** Submits a transfer; the same key returns the same transfer. */
  submitTransfer(request: TransferRequest): Promise<SubmittedTransfer>;
  /**
   * The transfer's status as of `asOf` (the workflow's clock, so time-skipping tests see the days pass),
   * or null when the network never received it.
   */
  transferStatus(reference: string, asOf: Date): Promise<TransferStatus | null>;
  /** The transfer this key submitted, if any: resolves a submission whose answer was lost. */
  findTransfer(idempotencyKey: string): Promise<SubmittedTransfer | null>;
}
