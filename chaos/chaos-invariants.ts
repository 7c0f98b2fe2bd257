import type { Client as PgClient } from 'pg';
import type { ChaosWebhookReceiver } from './chaos-webhooks';

/** One invariant's verdict: what was checked, and every case that broke it (the first few in words). */
export interface InvariantResult {
  name: string;
  checked: number;
  violations: number;
  examples: string[];
}

const WAITING_STATUSES = new Set(['requires_capture', 'requires_review']);
const EXAMPLES = 8;

function result(name: string, checked: number, problems: string[]): InvariantResult {
  return { name, checked, violations: problems.length, examples: problems.slice(0, EXAMPLES) };
}

type Rows = Record<string, any>[];
async function rows(db: PgClient, text: string, values: unknown[] = []): Promise<Rows> {
  return (await db.query(text, values)).rows;
}

/** Open workflows by type, as the heal phase waits for them to finish and the invariant reads them. */
export interface OpenWorkflow {
  workflowId: string;
  type: string;
}

/**
 * Every payment has reached a final state or is visibly waiting for someone (capture by the
 * merchant, review by ops, authentication by a customer the load left on purpose); `held` (the
 * gateway's outcome unknown) must have resolved once the faults stopped; every refund is final; no
 * delivery or refund workflow is still running; a payment workflow still open belongs to a waiting
 * payment, a dispute workflow to an open dispute; nothing waits in an outbox (network events,
 * webhook events).
 */
export async function nothingStuck(db: PgClient, open: OpenWorkflow[], leftWaitingForAction: Set<string>): Promise<InvariantResult> {
  const payments = await rows(db, `select id, status from payments`);
  const refunds = await rows(db, `select id, status from refunds`);
  const disputes = await rows(db, `select id, payment_id, status from disputes`);
  const statusOf = new Map(payments.map((row) => [row.id, row.status as string]));
  const openDisputePayments = new Set(
    disputes.filter((row) => row.status === 'needs_response' || row.status === 'under_review').map((row) => row.payment_id),
  );
  const problems: string[] = [];
  const waiting = (id: string, status: string | undefined) =>
    WAITING_STATUSES.has(status ?? '') || (status === 'requires_action' && leftWaitingForAction.has(id));
  for (const payment of payments) {
    if (payment.status === 'processing' || payment.status === 'held') problems.push(`payment ${payment.id} is still ${payment.status}`);
    else if (payment.status === 'requires_action' && !waiting(payment.id, payment.status))
      problems.push(`payment ${payment.id} waits in requires_action, but its customer was sent to authenticate`);
  }
  for (const refund of refunds) if (refund.status === 'pending') problems.push(`refund ${refund.id} is still pending`);
  // Work waiting in an outbox is as stuck as a workflow: a dispute the network never got through, an event never sent.
  const networkEvents = await rows(db, `select id, type, attempts, delivered_at from sandbox_network_events`);
  for (const event of networkEvents)
    if (!event.delivered_at) problems.push(`network event ${event.id} (${event.type}) is undelivered after ${event.attempts} attempts`);
  const events = await rows(db, `select id, type, dispatched_at from events`);
  for (const event of events)
    if (!event.dispatched_at) problems.push(`event ${event.id} (${event.type}) was never dispatched to webhook endpoints`);
  for (const workflow of open) {
    if (workflow.type === 'paymentWorkflow') {
      const paymentId = workflow.workflowId.replace(/^payment-/, '');
      const status = statusOf.get(paymentId);
      if (!waiting(paymentId, status) && !openDisputePayments.has(paymentId))
        problems.push(`payment workflow ${workflow.workflowId} is open with the payment ${status ?? 'missing'}`);
    } else if (workflow.type === 'disputeWorkflow') {
      continue;
    } else if (workflow.type === 'refundWorkflow' || workflow.type === 'webhookDeliveryWorkflow') {
      problems.push(`${workflow.type} ${workflow.workflowId} is still running`);
    }
  }
  return result(
    'every payment final or visibly waiting; nothing stuck',
    payments.length + refunds.length + open.length + networkEvents.length + events.length,
    problems,
  );
}

/**
 * The sandbox gateway's own books against ours, for the payments made through it: exactly one
 * charge per succeeded payment and none for any other, the captured amount equal to what the
 * payment says, no charge for a payment we do not know, refunds never above the capture and equal
 * to the refunds we recorded as succeeded. (Stripe's payments: chaos-stripe-invariants.ts.)
 */
export async function gatewayBooksMatch(db: PgClient): Promise<InvariantResult> {
  const joined = await rows(
    db,
    `
    with auth as (
      select split_part(idempotency_key, ':', 1) as payment_id, id, outcome, amount_minor
        from sandbox_gateway_operations where operation = 'authorize'),
    captures as (
      select authorization_id, count(*) as n, sum(amount_minor) as amount from sandbox_gateway_operations
       where operation = 'capture' and outcome = 'captured' group by authorization_id),
    voids as (select distinct authorization_id from sandbox_gateway_operations where operation = 'void'),
    gateway_refunds as (
      select authorization_id, sum(amount_minor) as amount from sandbox_gateway_operations
       where operation = 'refund' and outcome = 'refunded' group by authorization_id),
    our_refunds as (select payment_id, sum(amount_minor) as amount from refunds where status = 'succeeded' group by payment_id)
    select coalesce(p.id, a.payment_id) as payment_id, p.status, p.amount_captured_minor, p.amount_refunded_minor,
           a.outcome as auth_outcome,
           (case when a.outcome = 'captured' then 1 else 0 end) + coalesce(c.n, 0) as charges,
           case when a.outcome = 'captured' then a.amount_minor else coalesce(c.amount, 0) end as gateway_captured,
           coalesce(r.amount, 0) as gateway_refunded, coalesce(o.amount, 0) as our_refunded, v.authorization_id is not null as voided
      from (select * from payments where gateway = 'sandbox') p
      full join auth a on a.payment_id = p.id
      left join captures c on c.authorization_id = a.id
      left join voids v on v.authorization_id = a.id
      left join gateway_refunds r on r.authorization_id = a.id
      left join our_refunds o on o.payment_id = p.id`,
  );
  const problems: string[] = [];
  for (const row of joined) {
    const charges = Number(row.charges);
    const captured = Number(row.gateway_captured);
    const gatewayRefunded = Number(row.gateway_refunded);
    if (row.status === null) {
      problems.push(`the gateway holds an operation (${row.auth_outcome}) for ${row.payment_id}, which we have no record of`);
      continue;
    }
    if (row.status === 'succeeded') {
      if (charges !== 1) problems.push(`succeeded payment ${row.payment_id} has ${charges} charges at the gateway`);
      if (captured !== Number(row.amount_captured_minor))
        problems.push(`payment ${row.payment_id} captured ${row.amount_captured_minor}, the gateway ${captured}`);
    } else if (charges !== 0) {
      problems.push(`payment ${row.payment_id} is ${row.status} but the gateway charged it ${charges} time(s)`);
    }
    if (row.status === 'canceled' && row.auth_outcome === 'authorized' && !row.voided)
      problems.push(`canceled payment ${row.payment_id} was never voided at the gateway`);
    if (gatewayRefunded > captured)
      problems.push(`payment ${row.payment_id}: the gateway refunded ${gatewayRefunded} of ${captured} captured`);
    if (gatewayRefunded !== Number(row.our_refunded))
      problems.push(`payment ${row.payment_id}: the gateway refunded ${gatewayRefunded}, our succeeded refunds add to ${row.our_refunded}`);
    if (Number(row.amount_refunded_minor ?? 0) !== Number(row.our_refunded))
      problems.push(`payment ${row.payment_id} shows ${row.amount_refunded_minor} refunded, its refunds add to ${row.our_refunded}`);
  }
  return result(
    'the sandbox gateway charged once per succeeded payment, never otherwise; refunds within captures',
    joined.length,
    problems,
  );
}

/**
 * The ledger balances (the product's own trial balance: debits = credits, every entry balanced,
 * stored balances = postings, balance transactions = balances), every succeeded payment has its
 * one capture entry and every entry its source, and each merchant's money in the ledger equals
 * what its payments, refunds and disputes imply.
 */
export async function ledgerConsistent(db: PgClient, trialBalance: any): Promise<InvariantResult> {
  const problems: string[] = [];
  if (!trialBalance?.balanced)
    problems.push(`the trial balance is not balanced: ${JSON.stringify(trialBalance?.currencies ?? trialBalance)}`);
  for (const entry of trialBalance?.unbalanced_entries ?? [])
    problems.push(`entry ${entry.entry_id} sums to ${entry.sum_minor} ${entry.currency}`);
  for (const account of trialBalance?.account_mismatches ?? [])
    problems.push(`account ${account.account} stores ${account.stored_balance_minor}, its postings sum to ${account.balance_minor}`);
  for (const mismatch of trialBalance?.balance_transaction_mismatches ?? [])
    problems.push(
      `merchant ${mismatch.merchant_id} ${mismatch.currency}: ledger ${mismatch.ledger_minor}, balance transactions ${mismatch.balance_transactions_minor}`,
    );

  const entryCounts = await rows(
    db,
    `
    select p.id, p.status, count(e.id) as entries from payments p
      left join ledger_entries e on e.source_type = 'payment' and e.source_id = p.id group by p.id, p.status`,
  );
  for (const row of entryCounts) {
    const expected = row.status === 'succeeded' ? 1 : 0;
    if (Number(row.entries) !== expected) problems.push(`payment ${row.id} (${row.status}) has ${row.entries} capture entries`);
  }
  const orphans = await rows(
    db,
    `
    select e.id, e.source_type, e.source_id from ledger_entries e
     where (e.source_type = 'payment' and not exists (select 1 from payments p where p.id = e.source_id and p.status = 'succeeded'))
        or (e.source_type = 'refund' and not exists (select 1 from refunds r where r.id = e.source_id and r.status = 'succeeded'))
        or (e.source_type = 'dispute' and not exists (select 1 from disputes d where d.id = e.source_id))`,
  );
  for (const row of orphans) problems.push(`ledger entry ${row.id} has no ${row.source_type} ${row.source_id} behind it`);

  // What the domain says each merchant holds: captures less refunds, dispute fees, lost disputes and payouts (fees withheld stay the merchant's until invoiced).
  const expected = await rows(
    db,
    `
    with money as (
      select merchant_id, currency, sum(amount_captured_minor) as amount from payments where status = 'succeeded' group by 1, 2
      union all select merchant_id, currency, -sum(amount_minor) from refunds where status = 'succeeded' group by 1, 2
      union all select merchant_id, currency, -sum(fee_minor) from disputes group by 1, 2
      union all select merchant_id, currency, -sum(amount_minor) from disputes where status = 'lost' group by 1, 2
      -- A payout takes amount and fee; a failure or cancel before payment gives both back, a return after it the amount.
      union all select merchant_id, currency, -sum(amount_minor + fee_minor) from payouts group by 1, 2
      union all select merchant_id, currency, sum(amount_minor + fee_minor) from payouts where status in ('failed', 'canceled') and not returned group by 1, 2
      union all select merchant_id, currency, sum(amount_minor) from payouts where returned group by 1, 2)
    select merchant_id, currency, sum(amount)::bigint as expected from money group by 1, 2`,
  );
  const held = await rows(
    db,
    `select merchant_id, currency, sum(amount_minor)::bigint as held from ledger_postings where merchant_id is not null group by 1, 2`,
  );
  const heldBy = new Map(held.map((row) => [`${row.merchant_id} ${row.currency}`, Number(row.held)]));
  const invoiced = await rows(
    db,
    `select count(*)::int as n from ledger_entries where source_type not in ('payment', 'refund', 'dispute', 'settlement', 'payout')`,
  );
  if (invoiced[0].n > 0)
    problems.push(
      `${invoiced[0].n} ledger entries of other kinds (fee invoices?) ran during the chaos run: the per-merchant check does not model them`,
    );
  for (const row of expected) {
    const key = `${row.merchant_id} ${row.currency}`;
    if ((heldBy.get(key) ?? 0) !== Number(row.expected))
      problems.push(`merchant ${key}: ledger holds ${heldBy.get(key) ?? 0}, payments/refunds/disputes/payouts imply ${row.expected}`);
    heldBy.delete(key);
  }
  for (const [key, amount] of heldBy) if (amount !== 0) problems.push(`merchant ${key}: ledger holds ${amount} with no payments behind it`);
  return result(
    'the ledger balances and each merchant holds what its payments, refunds, disputes and payouts imply',
    entryCounts.length + expected.length,
    problems,
  );
}

/**
 * Every event reached every endpoint that kept its subscription (each webhook-id processed once by
 * the receiver however often it arrived), every signature verified, no event unknown to us, and an
 * endpoint that answered 410 was disabled and left alone.
 */
export async function webhooksDelivered(
  db: PgClient,
  receiver: ChaosWebhookReceiver,
  urlToEndpointId: Map<string, { id: string; merchantId: string }>,
): Promise<{ result: InvariantResult; redeliveriesAfterSuccess: number }> {
  const problems: string[] = [];
  const events = await rows(db, `select id, merchant_id, created_at from events`);
  const endpoints = await rows(db, `select id, merchant_id, status, disabled_reason from webhook_endpoints`);
  const endpointById = new Map(endpoints.map((row) => [row.id, row]));
  const eventIds = new Set(events.map((row) => row.id));
  let checked = 0;
  let redeliveriesAfterSuccess = 0;
  for (const [path, record] of receiver.endpoints) {
    const endpoint = [...urlToEndpointId.entries()].find(([url]) => new URL(url).pathname === path)?.[1];
    if (!endpoint) continue;
    const stored = endpointById.get(endpoint.id);
    if (record.badSignatures > 0) problems.push(`${path}: ${record.badSignatures} deliveries with a signature that does not verify`);
    for (const [webhookId, delivery] of record.deliveries) {
      if (!eventIds.has(webhookId)) problems.push(`${path} received webhook-id ${webhookId}, which is no event of ours`);
      if (delivery.successes > 1) redeliveriesAfterSuccess += delivery.successes - 1;
    }
    if (record.goneSince !== undefined) {
      if (stored?.status !== 'disabled') problems.push(`${path} answered 410 but its endpoint is ${stored?.status}`);
      // Deliveries already under way when the 410 was answered may still arrive; none may start well after.
      const late = record.afterGone.filter((request) => request.at > (record.goneSince as number) + 15_000);
      if (late.length > 0) problems.push(`${path} answered 410 and still got ${late.length} deliveries more than 15 s later`);
      continue;
    }
    for (const event of events) {
      if (event.merchant_id !== endpoint.merchantId) continue;
      checked++;
      if (!record.processed.has(event.id)) problems.push(`event ${event.id} never reached ${path} (${record.behaviour})`);
    }
  }
  return {
    result: result('every event delivered to every subscribed endpoint, each webhook-id processed once', checked, problems),
    redeliveriesAfterSuccess,
  };
}
