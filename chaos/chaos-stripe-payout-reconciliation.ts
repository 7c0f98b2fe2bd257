import { Client, Connection } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import type { StripeFake } from '../src/gateways/stripe/stripe-fake';
import { PAYOUT_ID_METADATA } from '../src/gateways/stripe/stripe-payouts';
import { randomBase62 } from '../src/shared/ids';
import { temporalDataConverter } from '../src/temporal/data-converter';
import type { PayloadKey } from '../src/temporal/payload-keys';
import type { GatewayPayoutReconciliationResult } from '../workflows/gateway-payout-reconciliation-workflow';
import type { InvariantResult } from './chaos-invariants';

const EXAMPLES = 8;

export interface StripePayoutReconciliationFigures {
  days: string[];
  runs: number;
  matched: number;
  /** Rows of payouts made from Stripe's Dashboard: missing in our ledger, rightly. */
  dashboardRows: number;
  /** Rows of our payouts whose workflow was still watching for a return: our books catch up at its next check. */
  stillWatchedRows: number;
}

/** Every UTC day from the load's start to now, YYYY-MM-DD. */
export function daysSince(startedAt: number, now = Date.now()): string[] {
  const days: string[] = [];
  for (let at = Date.parse(new Date(startedAt).toISOString().slice(0, 10)); at <= now; at += 86_400_000)
    days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}

/**
 * The daily Stripe payout reconciliation, run after the chaos for every day of it, agrees with what the
 * other invariants proved: every Stripe movement of our payouts matches our ledger to the minor unit, and
 * the only rows our ledger lacks are payouts the merchants made from the Dashboard (or a return our
 * still-open workflow has not asked about yet). Our ledger never holds a movement Stripe does not, no
 * amount differs, and every account can be read.
 */
export async function stripePayoutsReconcile(
  stack: { temporalAddress: string; payloadKeys: PayloadKey[]; taskQueue: string },
  db: PgClient,
  fake: StripeFake,
  input: { loadStartedAt: number; openWorkflowIds: Set<string> },
): Promise<{ result: InvariantResult; figures: StripePayoutReconciliationFigures }> {
  const days = daysSince(input.loadStartedAt);
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const problems: string[] = [];
  const figures: StripePayoutReconciliationFigures = { days, runs: 0, matched: 0, dashboardRows: 0, stillWatchedRows: 0 };
  let checked = 0;
  try {
    const client = new Client({ connection, dataConverter: temporalDataConverter(stack.payloadKeys) });
    const ours = new Map(fake.payouts().map((payout) => [payout.id, payout.metadata[PAYOUT_ID_METADATA] ?? null]));
    for (const day of days) {
      const result = (await client.workflow.execute('dailyGatewayPayoutReconciliationWorkflow', {
        taskQueue: stack.taskQueue,
        workflowId: `chaos-stripe-payout-reconciliation-${day}-${randomBase62(6)}`,
        args: [{ day }],
      })) as GatewayPayoutReconciliationResult;
      for (const account of result.unreadable)
        problems.push(`${day}: account ${account.gatewayAccountId} could not be read: ${account.reason}`);
      figures.runs += result.runs.length;
      for (const run of result.runs) {
        const items = (
          await db.query<{ category: string; gateway_reference: string | null; settlement_amount_minor: string | null }>(
            `select category, gateway_reference, settlement_amount_minor from reconciliation_items where reconciliation_id = $1 order by position`,
            [run.reconciliationId],
          )
        ).rows;
        for (const item of items) {
          checked++;
          const reference = item.gateway_reference ?? '(none)';
          if (item.category === 'matched') {
            figures.matched++;
            continue;
          }
          if (item.category === 'missing_in_ledger') {
            const payoutId = ours.get(reference);
            if (payoutId === null) {
              figures.dashboardRows++;
              continue;
            }
            // A return our workflow has not asked about yet: the books catch up at its next check, within the watch.
            if (payoutId && Number(item.settlement_amount_minor) > 0 && input.openWorkflowIds.has(`payout-${payoutId}`)) {
              figures.stillWatchedRows++;
              continue;
            }
          }
          problems.push(
            `${day}, ${run.reconciliationId} (${run.gatewayAccountId}): ${item.category} ${reference}` +
              (item.settlement_amount_minor ? ` (${item.settlement_amount_minor} at Stripe)` : ''),
          );
        }
      }
    }
  } finally {
    await connection.close();
  }
  return {
    result: {
      name: "Stripe payouts reconcile: each account's days at Stripe match our ledger; only Dashboard payouts are missing from it",
      checked,
      violations: problems.length,
      examples: problems.slice(0, EXAMPLES),
    },
    figures,
  };
}
