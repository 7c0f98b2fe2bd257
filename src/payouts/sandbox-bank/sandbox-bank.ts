import { testPayoutOutcome } from '../../bank-accounts/test-bank-accounts';
import { inTransaction } from '../../db/sql';
import type { Orm } from '../../db/orm';
import { newId } from '../../shared/ids';
import type { PayoutNetwork, SubmittedTransfer, TransferRequest, TransferStatus } from '../payout-network';
import type { PayoutFailureCode } from '../payout-state';
import { SandboxBankRepository, type SandboxBankTransfer } from './sandbox-bank-repository';

export interface SandboxBankTimings {
  /** How long a transfer takes to arrive (a bank's next-day transfer by default). */
  transitMs: number;
  /** How long after arriving a returned transfer comes back. */
  returnAfterMs: number;
}

const DAY_MS = 86_400_000;
export const DEFAULT_SANDBOX_BANK_TIMINGS: SandboxBankTimings = { transitMs: DAY_MS, returnAfterMs: 2 * DAY_MS };

function submitted(transfer: SandboxBankTransfer): SubmittedTransfer {
  return {
    reference: transfer.id,
    arrivalDate: transfer.arrivesAt.toISOString().slice(0, 10),
    arrivesAt: transfer.arrivesAt.toISOString(),
  };
}

/**
 * The sandbox bank network: a bank of our own that keeps its books in the database, so a transfer
 * survives restarts and its outcome can be asked for like a real bank's. In test mode the account's
 * last 4 chooses the outcome (src/bank-accounts/test-bank-accounts.ts), as Stripe's test accounts
 * do; a transfer's fate is decided when it is submitted and revealed as the asking clock passes
 * its arrival and return times.
 */
export class SandboxBank implements PayoutNetwork {
  readonly name = 'sandbox_bank' as const;

  constructor(
    private readonly orm: Orm,
    private readonly timings: SandboxBankTimings = DEFAULT_SANDBOX_BANK_TIMINGS,
  ) {}

  async submitTransfer(request: TransferRequest): Promise<SubmittedTransfer> {
    const last4 = request.bankAccountLast4;
    if (!last4) throw new Error(`Payout ${request.payoutId} has no bank account for the sandbox bank`);
    const planned = request.livemode ? ({ outcome: 'paid' } as const) : testPayoutOutcome(last4);
    const submittedAt = new Date(request.requestedAt);
    const arrivesAt = new Date(submittedAt.getTime() + this.timings.transitMs);
    const transfer = await inTransaction(this.orm, (sql) =>
      new SandboxBankRepository(sql).insertOrFind({
        id: newId('sbt'),
        idempotencyKey: request.idempotencyKey,
        payoutId: request.payoutId,
        merchantId: request.merchantId,
        amountMinor: request.amountMinor,
        currency: request.currency,
        bankAccountLast4: last4,
        outcome: planned.outcome,
        failureCode: planned.outcome === 'paid' ? null : planned.failureCode,
        submittedAt,
        arrivesAt,
        returnsAt: planned.outcome === 'returned' ? new Date(arrivesAt.getTime() + this.timings.returnAfterMs) : null,
      }),
    );
    return submitted(transfer);
  }

  async transferStatus(reference: string, asOf: Date): Promise<TransferStatus | null> {
    const transfer = await inTransaction(this.orm, (sql) => new SandboxBankRepository(sql).findById(reference));
    if (!transfer) return null;
    if (asOf < transfer.arrivesAt) return { status: 'in_transit' };
    const failureCode = (transfer.failureCode ?? 'could_not_process') as PayoutFailureCode;
    if (transfer.outcome === 'failed') return { status: 'failed', failureCode };
    const paidAt = transfer.arrivesAt.toISOString();
    if (transfer.outcome === 'returned' && transfer.returnsAt && asOf >= transfer.returnsAt)
      return { status: 'returned', failureCode, paidAt, returnedAt: transfer.returnsAt.toISOString() };
    return { status: 'paid', paidAt };
  }

  async findTransfer(request: TransferRequest): Promise<SubmittedTransfer | null> {
    const transfer = await inTransaction(this.orm, (sql) => new SandboxBankRepository(sql).findByKey(request.idempotencyKey));
    return transfer ? submitted(transfer) : null;
  }
}
