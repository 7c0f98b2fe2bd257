import type { SettlementRow } from '../reconciliation/settlement-csv';
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
  /** Our bank account, for the sandbox bank; null when the gateway pays its account's own bank account. */
  bankAccountId: string | null;
  bankAccountLast4: string | null;
  description?: string | null;
  /** The workflow's clock when it asked (ISO 8601); the sandbox bank dates the transfer by it, so time-skipping tests see days pass. */
  requestedAt: string;
}

/** A transfer the network took. */
export interface SubmittedTransfer {
  status?: 'submitted';
  reference: string;
  /** YYYY-MM-DD (UTC): when the bank expects the money to arrive. */
  arrivalDate: string;
  /** When the bank expects to have paid it (ISO 8601): the payout asks again then. */
  arrivesAt: string;
  /** The destination's last 4 when the network chose it (a gateway pays its account's own bank account). */
  destinationLast4?: string | null;
}

/** A transfer the network refused outright: nothing was sent, so the payout fails and its money is available again. */
export interface RefusedTransfer {
  status: 'refused';
  failureCode: PayoutFailureCode;
}

/** What the bank says of a transfer on a given day. */
export type TransferStatus =
  | { status: 'in_transit' }
  /** `paidAt`: the bank's value time (ISO 8601), the day its statement lists the movement on. */
  | { status: 'paid'; paidAt: string }
  | { status: 'failed'; failureCode: PayoutFailureCode }
  /** Paid, then sent back by the receiving bank; `returnedAt` is the return's value time. */
  | { status: 'returned'; failureCode: PayoutFailureCode; paidAt: string; returnedAt: string };

/** One money movement on a network's statement of a day: a payout that left (negative) or came back (positive). */
export type StatementMovement = Omit<SettlementRow, 'line'>;

/** The network refused to let us read it (revoked or restricted credentials): asking again will not help until someone acts. */
export class PayoutNetworkAccessDenied extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayoutNetworkAccessDenied';
  }
}

/**
 * A bank network that moves money out to merchants' accounts. Like the gateway adapters it is
 * stateless towards us: a submission is keyed, and what happened is asked, never assumed.
 */
export interface PayoutNetwork {
  readonly name: PayoutNetworkName;
  /** Submits a transfer; the same key returns the same transfer. */
  submitTransfer(request: TransferRequest): Promise<SubmittedTransfer | RefusedTransfer>;
  /**
   * The transfer's status as of `asOf` (the workflow's clock, so time-skipping tests see the days pass),
   * or null when the network never received it. A network that knows only its own clock ignores `asOf`.
   */
  transferStatus(reference: string, asOf: Date): Promise<TransferStatus | null>;
  /**
   * The transfer this request's key submitted, if any: resolves a submission whose answer was lost
   * even after the network has forgotten the key (Stripe keeps idempotency keys for 24 hours).
   */
  findTransfer(request: TransferRequest): Promise<SubmittedTransfer | null>;
  /**
   * The network's own record of one UTC day's movements (YYYY-MM-DD), every payout of the account and
   * not only ours, in the order they happened: what the daily payout reconciliation checks our ledger
   * against. A network whose statement is read elsewhere (the sandbox bank's, from its books) has none.
   * @throws PayoutNetworkAccessDenied when the network will not let us read it.
   */
  statement?(day: string): Promise<StatementMovement[]>;
}

/** Where a payout travels: the network, and for a gateway's payouts the merchant's account there. */
export interface PayoutTarget {
  network: PayoutNetworkName;
  gatewayAccount?: string | null;
}

/** Finds the network for a payout, with a gateway account's credentials loaded inside the activity only. */
export interface PayoutNetworks {
  resolve(target: PayoutTarget): Promise<PayoutNetwork>;
}
