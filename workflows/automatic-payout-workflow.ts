import { ParentClosePolicy, proxyActivities, setCurrentDetails, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { payoutWorkflowId } from '../src/payouts/payout-state';
import { AmountMinorKey, CurrencyKey, MerchantIdKey, PayoutStatusKey } from '../src/temporal/search-attributes';
import { formatMinor } from '../src/shared/money';
import { payoutWorkflow } from './payout-workflow';
import { scheduledTime } from './scheduled-time';

const { planAutomaticPayouts } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5m' },
});

export interface AutomaticPayoutRunInput {
  merchantId: string;
  /** The run's time; a scheduled run uses its own slot, a run started by hand its start time. */
  runAt?: string;
}

export interface AutomaticPayoutRunResult {
  merchantId: string;
  runAt: string;
  /** Why nothing was planned at all, if so; `gateway_account_unavailable`: the schedule's gateway account was disabled since. */
  skipped: 'paused' | 'manual' | 'not_payout_day' | 'merchant_missing' | 'gateway_account_unavailable' | null;
  /** The payouts this run made; `alreadyStarted` when an earlier attempt of the same run had made it. */
  payouts: { payoutId: string; currency: string; amountMinor: number; alreadyStarted: boolean }[];
  /** Currencies with funds to pay out, but less than the payout fee or the merchant's minimum. */
  belowMinimum: { currency: string; payableMinor: number; minimumMinor: number }[];
}

/** What the details line adds to a skip whose code alone would leave ops guessing. */
const SKIP_EXPLANATIONS: Partial<Record<NonNullable<AutomaticPayoutRunResult['skipped']>, string>> = {
  gateway_account_unavailable: " (the schedule's gateway account is disabled or gone; nothing was paid out elsewhere instead)",
};

/**
 * A merchant's scheduled payout run: plans one payout per currency from the balance as of the run's
 * time, then starts each as its own `payout-<id>` workflow. Payout ids come from the merchant, the
 * run's time and the currency, so a run retried or started again for the same slot pays out once.
 */
export async function automaticPayoutWorkflow(input: AutomaticPayoutRunInput): Promise<AutomaticPayoutRunResult> {
  const runAt = input.runAt ?? scheduledTime().toISOString();
  const plan = await planAutomaticPayouts({ merchantId: input.merchantId, runAt });
  const result: AutomaticPayoutRunResult = {
    merchantId: input.merchantId,
    runAt,
    skipped: plan.skipped,
    payouts: [],
    belowMinimum: plan.belowMinimum,
  };
  for (const payout of plan.payouts) {
    let alreadyStarted = false;
    try {
      await startChild(payoutWorkflow, {
        workflowId: payoutWorkflowId(payout.payoutId),
        args: [payout],
        // The payout lives its own life (days in transit, a return watch): this run only starts it.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // A payout id runs once, ever: a later attempt of this run must not start a finished payout again.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: MerchantIdKey, value: payout.merchantId },
          { key: PayoutStatusKey, value: 'pending' },
          { key: AmountMinorKey, value: payout.amountMinor },
          { key: CurrencyKey, value: payout.currency },
        ],
        staticSummary: `Automatic payout of ${payout.currency} ${formatMinor(payout.amountMinor, payout.currency)}`,
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      alreadyStarted = true;
    }
    result.payouts.push({ payoutId: payout.payoutId, currency: payout.currency, amountMinor: payout.amountMinor, alreadyStarted });
  }
  const made = result.payouts.map((payout) => `${payout.currency} ${formatMinor(payout.amountMinor, payout.currency)}`);
  setCurrentDetails(
    result.skipped
      ? `Run of **${runAt}** skipped: ${result.skipped}${SKIP_EXPLANATIONS[result.skipped] ?? ''}`
      : `Run of **${runAt}**: ${made.length ? made.join(', ') : 'nothing to pay out'}`,
  );
  return result;
}
