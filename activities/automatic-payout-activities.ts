import { createHash } from 'node:crypto';
import type { Orm } from '../src/db/orm';
import { sqlFor } from '../src/db/sql';
import { GatewayAccountRepository } from '../src/gateway-accounts/gateway-account-repository';
import { gatewayAccountDestination, gatewayAccountPayoutRefusal, type PayoutDestination } from '../src/payouts/payout-gateway-account';
import { isPayoutDay } from '../src/payouts/payout-schedule-calendar';
import { PayoutScheduleRepository, type PayoutBalanceSource } from '../src/payouts/payout-schedule-repository';
import type { PayoutWorkflowInput } from '../src/payouts/payout-state';
import { base62FromHex } from '../src/shared/base62';

export interface AutomaticPayoutActivityDeps {
  orm: Orm;
  /**
   * What automatic payouts are given, as POST /v1/payouts gives its own: how long one stays pending (and
   * cancelable) before it goes to the bank, and how long a paid one is watched for a return (config.payouts).
   */
  payoutTimings?: Pick<PayoutWorkflowInput, 'submitDelayMs' | 'returnWatch'>;
}

const DAY_MS = 86_400_000;
const DEFAULT_TIMINGS = { submitDelayMs: 300_000 };

export interface AutomaticPayoutPlan {
  /** `gateway_account_unavailable`: the schedule's gateway account was disabled (or is otherwise unusable) since it was saved. */
  skipped: 'paused' | 'manual' | 'not_payout_day' | 'merchant_missing' | 'gateway_account_unavailable' | null;
  payouts: PayoutWorkflowInput[];
  belowMinimum: { currency: string; payableMinor: number; minimumMinor: number }[];
}

/**
 * The payout id of one currency's payout in one run: the same merchant, run time and currency give
 * the same id, so a retried or repeated run starts the same `payout-<id>` workflow, which runs once.
 */
export function automaticPayoutId(merchantId: string, runAt: string, currency: string): string {
  const hex = createHash('sha256')
    .update(`automatic-payout|${merchantId}|${new Date(runAt).toISOString()}|${currency}`)
    .digest('hex');
  return `po_${base62FromHex(hex, 22)}`;
}

/**
 * What may be paid out in a currency: the available balance, less whatever was credited to it in the
 * last `delay_days` (funds not yet old enough). Anything taken from the balance meanwhile (refunds,
 * disputes, earlier payouts) comes out of the older funds first, so a new credit is never paid out early.
 */
export function payableMinor(source: Pick<PayoutBalanceSource, 'availableMinor' | 'creditedSinceMinor'>): number {
  return Math.max(0, source.availableMinor - source.creditedSinceMinor);
}

export function createAutomaticPayoutActivities({ orm, payoutTimings = DEFAULT_TIMINGS }: AutomaticPayoutActivityDeps) {
  return {
    /**
     * Plans a merchant's automatic payouts as of the run's time (never the wall clock, so a retry and a
     * time-skipping test plan alike): per currency with a default bank account (or, through the
     * schedule's gateway account, per currency of the balance the account takes), what is payable less
     * the payout fee, when that reaches the currency's minimum. Writes nothing.
     */
    async planAutomaticPayouts({ merchantId, runAt }: { merchantId: string; runAt: string }): Promise<AutomaticPayoutPlan> {
      const sql = sqlFor(orm.em.fork());
      const repository = new PayoutScheduleRepository(sql);
      const none = (skipped: AutomaticPayoutPlan['skipped']): AutomaticPayoutPlan => ({ skipped, payouts: [], belowMinimum: [] });
      const [settings, terms] = await Promise.all([repository.find(merchantId), repository.merchantTerms(merchantId)]);
      if (!terms) return none('merchant_missing');
      if (settings?.paused) return none('paused');
      // A schedule deleted a moment too late still fires once: the stored settings decide.
      if (!settings || settings.interval === 'manual') return none('manual');
      const at = new Date(runAt);
      if (!isPayoutDay(settings, at)) return none('not_payout_day');
      const cutoff = new Date(at.getTime() - settings.delayDays * DAY_MS);
      let sources: (PayoutBalanceSource & { destination: PayoutDestination })[];
      if (settings.gatewayAccountId) {
        const account = await new GatewayAccountRepository(sql).findForMerchant(merchantId, settings.gatewayAccountId);
        // Checked as when it was saved: disabled since, no payout goes anywhere else instead.
        if (!account || gatewayAccountPayoutRefusal(account, { id: merchantId, livemode: terms.livemode }, settings.gatewayAccountId))
          return none('gateway_account_unavailable');
        const destination = gatewayAccountDestination(account);
        // A currency the account does not take stays in the balance, as one without a bank account does.
        sources = (await repository.balanceSources(merchantId, cutoff))
          .filter((source) => account.currencies.length === 0 || account.currencies.includes(source.currency))
          .map((source) => ({ ...source, destination }));
      } else {
        sources = (await repository.currencySources(merchantId, cutoff)).map((source) => ({
          ...source,
          destination: { bankAccountId: source.bankAccountId, bankAccountLast4: source.bankAccountLast4, network: 'sandbox_bank' as const },
        }));
      }
      const plan: AutomaticPayoutPlan = { skipped: null, payouts: [], belowMinimum: [] };
      for (const source of sources) {
        const payable = payableMinor(source);
        if (payable === 0) continue;
        const amountMinor = payable - terms.payoutFeeMinor;
        const minimumMinor = Math.max(settings.minimumAmounts[source.currency] ?? 0, 1);
        if (amountMinor < minimumMinor) {
          plan.belowMinimum.push({ currency: source.currency, payableMinor: payable, minimumMinor });
          continue;
        }
        plan.payouts.push({
          payoutId: automaticPayoutId(merchantId, runAt, source.currency),
          merchantId,
          livemode: terms.livemode,
          amountMinor,
          feeMinor: terms.payoutFeeMinor,
          currency: source.currency,
          ...source.destination,
          description: `Automatic payout of ${at.toISOString().slice(0, 10)}`,
          metadata: {},
          automatic: true,
          createdAt: at.toISOString(),
          submitDelayMs: payoutTimings.submitDelayMs,
          ...(payoutTimings.returnWatch ? { returnWatch: payoutTimings.returnWatch } : {}),
        });
      }
      return plan;
    },
  };
}
