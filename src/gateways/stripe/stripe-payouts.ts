import Stripe from 'stripe';
import {
  PayoutNetworkAccessDenied,
  type PayoutNetwork,
  type RefusedTransfer,
  type StatementMovement,
  type SubmittedTransfer,
  type TransferRequest,
  type TransferStatus,
} from '../../payouts/payout-network';
import type { PayoutFailureCode } from '../../payouts/payout-state';
import type { StripeApiBase } from './stripe-api-base';
import { scrubSecrets, type StripeErrorLike } from './stripe-mapping';

/** Metadata on every Stripe payout we make: our payout, and the key that made it (found again after Stripe forgets the key). */
export const PAYOUT_ID_METADATA = 'ledgerflow_payout';
export const TRANSFER_KEY_METADATA = 'ledgerflow_transfer_key';

/** Stripe's payout failure codes we report as they are; any other is `could_not_process`. */
const STRIPE_PAYOUT_FAILURES: Record<string, PayoutFailureCode> = {
  account_closed: 'account_closed',
  account_frozen: 'account_frozen',
  bank_account_restricted: 'account_frozen',
  insufficient_funds: 'insufficient_funds',
  invalid_account_number: 'invalid_account_number',
  no_account: 'no_account',
  debit_not_authorized: 'debit_not_authorized',
  invalid_currency: 'invalid_currency',
  could_not_process: 'could_not_process',
};

export function payoutFailureOf(stripeCode: string | null | undefined): PayoutFailureCode {
  return (stripeCode && STRIPE_PAYOUT_FAILURES[stripeCode]) || 'could_not_process';
}

export interface StripePayoutsOptions {
  secretKey: string;
  apiBase?: StripeApiBase;
  timeoutMs?: number;
}

// Stripe's search does not cover payouts: a lost submission is looked for among the payouts created since shortly before it.
const FIND_WINDOW_SLACK_S = 3600;
const DAY_MS = 86_400_000;
// A bank may return a payout weeks after it arrived (Stripe reports it as the payout's failure): a day's statement looks
// this far back among arrivals for returns dated that day.
const RETURN_LOOKBACK_MS = 30 * DAY_MS;

/**
 * Payouts from a merchant's Stripe account to that account's own bank account. Stripe chooses the
 * destination and reports its last 4; its balance must cover the payout, or it refuses (a failed
 * payout here, the money available again on our side). Status is always asked, never assumed.
 */
export class StripePayoutNetwork implements PayoutNetwork {
  readonly name = 'stripe' as const;
  private readonly stripe: Stripe;

  constructor(options: StripePayoutsOptions) {
    this.stripe = new Stripe(options.secretKey, {
      // The payout workflow owns retries, and resolves a lost answer by findTransfer.
      maxNetworkRetries: 0,
      timeout: options.timeoutMs ?? 10_000,
      telemetry: false,
      appInfo: { name: 'Ledgerflow' },
      ...(options.apiBase ?? {}),
    });
  }

  async submitTransfer(request: TransferRequest): Promise<SubmittedTransfer | RefusedTransfer> {
    let payout: Stripe.Payout;
    try {
      payout = await this.stripe.payouts.create(
        {
          amount: request.amountMinor,
          currency: request.currency.toLowerCase(),
          description: `Ledgerflow payout ${request.payoutId}`,
          metadata: { [PAYOUT_ID_METADATA]: request.payoutId, [TRANSFER_KEY_METADATA]: request.idempotencyKey },
          expand: ['destination'],
        },
        { idempotencyKey: request.idempotencyKey },
      );
    } catch (error) {
      const stripeError = (error ?? {}) as StripeErrorLike;
      // Stripe looked at the request and said no: nothing was created, so the payout fails and its money comes back.
      // Anything else (no answer, 5xx, a rate limit, a key in use or refused) may hide a payout: thrown, retried, found.
      if (stripeError.type === 'StripeInvalidRequestError' && stripeError.code !== 'idempotency_key_in_use')
        return {
          status: 'refused',
          failureCode: stripeError.code === 'balance_insufficient' ? 'gateway_balance_insufficient' : 'could_not_process',
        };
      throw failureOf(stripeError, 'send the payout');
    }
    return submittedOf(payout);
  }

  async transferStatus(reference: string): Promise<TransferStatus | null> {
    let payout: Stripe.Payout;
    try {
      payout = await this.stripe.payouts.retrieve(reference, { expand: ['failure_balance_transaction'] });
    } catch (error) {
      const stripeError = (error ?? {}) as StripeErrorLike;
      if (stripeError.code === 'resource_missing') return null;
      throw failureOf(stripeError, 'read the payout');
    }
    switch (payout.status) {
      case 'paid':
        return { status: 'paid', paidAt: arrivalOf(payout).toISOString() };
      case 'failed': {
        const failureCode = payoutFailureOf(payout.failure_code);
        // Stripe marks a payout paid on its arrival date and reports a later bank return only as failed: a failure
        // whose money came back on or after the arrival date is a return of a paid payout, wherever we first look.
        const returnedAt = moneyBackAt(payout);
        if (returnedAt && returnedAt >= arrivalOf(payout))
          return { status: 'returned', failureCode, paidAt: arrivalOf(payout).toISOString(), returnedAt: returnedAt.toISOString() };
        return { status: 'failed', failureCode };
      }
      // Canceled at Stripe (its Dashboard) before it left: nothing was sent.
      case 'canceled':
        return { status: 'failed', failureCode: 'could_not_process' };
      default:
        return { status: 'in_transit' };
    }
  }

  async findTransfer(request: TransferRequest): Promise<SubmittedTransfer | null> {
    const since = Math.floor(Date.parse(request.requestedAt) / 1000) - FIND_WINDOW_SLACK_S;
    try {
      for await (const payout of this.stripe.payouts.list({ created: { gte: since }, limit: 100 })) {
        if (payout.metadata?.[TRANSFER_KEY_METADATA] === request.idempotencyKey) return submittedOf(payout);
      }
    } catch (error) {
      throw failureOf((error ?? {}) as StripeErrorLike, 'look for the payout');
    }
    return null;
  }

  /**
   * The account's payouts that moved money on `day`, as Stripe records them: a payout paid on its arrival date
   * left the balance for the bank (negative, even if it came back later), and a return came back on the day its
   * failure's balance transaction is dated (positive). A payout that failed before it arrived, or was canceled,
   * never reached a bank and is not listed. Payouts made outside Ledgerflow (the Dashboard, Stripe's own
   * schedule) are listed too: they are exactly what a reconciliation must show.
   */
  async statement(day: string): Promise<StatementMovement[]> {
    const from = Date.parse(`${day}T00:00:00Z`);
    const to = from + DAY_MS;
    const within = (at: number | undefined): at is number => at !== undefined && at >= from && at < to;
    const movements: { at: number; movement: StatementMovement }[] = [];
    try {
      const payouts = this.stripe.payouts.list({
        arrival_date: { gte: Math.floor((from - RETURN_LOOKBACK_MS) / 1000), lt: Math.floor(to / 1000) },
        limit: 100,
        expand: ['data.failure_balance_transaction'],
      });
      for await (const payout of payouts) {
        const arrival = arrivalOf(payout).getTime();
        const back = moneyBackAt(payout)?.getTime();
        const returned = payout.status === 'failed' && back !== undefined && back >= arrival;
        const money = { reference: payout.id, currency: payout.currency.toUpperCase(), date: day };
        if (within(arrival) && (payout.status === 'paid' || returned))
          movements.push({ at: arrival, movement: { ...money, amountMinor: -payout.amount } });
        if (returned && within(back)) movements.push({ at: back, movement: { ...money, amountMinor: payout.amount } });
      }
    } catch (error) {
      const stripeError = (error ?? {}) as StripeErrorLike;
      if (stripeError.type === 'StripeAuthenticationError' || stripeError.type === 'StripePermissionError')
        throw new PayoutNetworkAccessDenied(`Stripe refused to list this account's payouts (${stripeError.type})`);
      throw failureOf(stripeError, "list the account's payouts");
    }
    movements.sort((a, b) => a.at - b.at || a.movement.reference.localeCompare(b.movement.reference));
    return movements.map(({ movement }) => movement);
  }
}

function arrivalOf(payout: Stripe.Payout): Date {
  return new Date(payout.arrival_date * 1000);
}

/** When the failure's balance transaction gave the money back, if Stripe expanded it. */
function moneyBackAt(payout: Stripe.Payout): Date | null {
  const transaction = payout.failure_balance_transaction;
  return transaction && typeof transaction === 'object' ? new Date(transaction.created * 1000) : null;
}

function submittedOf(payout: Stripe.Payout): SubmittedTransfer {
  const arrival = arrivalOf(payout);
  const destination = payout.destination;
  const last4 = destination && typeof destination === 'object' && 'last4' in destination ? destination.last4 : null;
  return {
    status: 'submitted',
    reference: payout.id,
    arrivalDate: arrival.toISOString().slice(0, 10),
    arrivesAt: arrival.toISOString(),
    destinationLast4: last4 ?? null,
  };
}

/** A retryable failure in our words and Stripe's, never with a key in it. */
function failureOf(error: StripeErrorLike, doing: string): Error {
  return new Error(`Could not ${doing} at Stripe (${error.type ?? 'no answer'}): ${scrubSecrets(error.message ?? 'no message')}`);
}
