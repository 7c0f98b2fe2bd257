import type { Client as PgClient } from 'pg';
import type { OpenWorkflow } from './chaos-invariants';
import { openWorkflows } from './chaos-replay';
import type { ChaosAdyen } from './chaos-adyen';
import type { ChaosStack } from './chaos-stack';
import type { ChaosStripe } from './chaos-stripe';

/** Workflows that end on their own once the faults stop: the heal waits for every one to close. */
const HEALED_WHEN_CLOSED = new Set(['refundWorkflow', 'webhookDeliveryWorkflow', 'payoutWorkflow']);

/**
 * The heal phase: with the faults stopped, waits (until `deadline`) for every payment to leave
 * `processing` and `held` and for every customer sent to authenticate to be decided, for every
 * refund, payout, webhook event, network event, Stripe event and Adyen notification to be through, and for no refund,
 * payout (sent, then watched for a return) or delivery workflow to be running. Returns the workflows still open, for the invariants.
 */
export async function waitUntilHealed(
  db: PgClient,
  stack: Pick<ChaosStack, 'temporalAddress' | 'payloadKeys'>,
  { stripe, adyen }: { stripe: ChaosStripe; adyen: ChaosAdyen },
  leftWaitingForAction: Set<string>,
  deadline: number,
): Promise<OpenWorkflow[]> {
  // Disputes the Stripe fake opens a moment after the last captures, and their events, come first.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all([stripe.fake.idle(), adyen.fake.idle()]),
    new Promise((resolve) => (timer = setTimeout(resolve, 30_000))),
  ]);
  clearTimeout(timer);
  const leftWaiting = [...leftWaitingForAction];
  let open = await openWorkflows(stack.temporalAddress, stack.payloadKeys);
  while (Date.now() < deadline) {
    const [pending] = (
      await db.query<{ payments: number; refunds: number; payouts: number; events: number; network: number }>(
        `
        select (select count(*) from payments
                 where status in ('processing', 'held') or (status = 'requires_action' and id <> all($1::text[])))::int as payments,
               (select count(*) from refunds where status = 'pending')::int as refunds,
               (select count(*) from payouts where status in ('pending', 'in_transit'))::int as payouts,
               (select count(*) from events where dispatched_at is null)::int as events,
               (select count(*) from sandbox_network_events where delivered_at is null)::int as network`,
        [leftWaiting],
      )
    ).rows;
    open = await openWorkflows(stack.temporalAddress, stack.payloadKeys);
    const busy = open.filter((workflow) => HEALED_WHEN_CLOSED.has(workflow.type)).length;
    const gatewayEvents = stripe.undeliveredEvents().length + adyen.undelivered().length;
    if (pending.payments + pending.refunds + pending.payouts + pending.events + pending.network + busy + gatewayEvents === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  return open;
}
