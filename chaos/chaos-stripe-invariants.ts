import type { Client as PgClient } from 'pg';
import type { FakePaymentIntent, StripeFake } from '../src/gateways/stripe/stripe-fake';
import type { InvariantResult } from './chaos-invariants';
import type { ChaosStripe } from './chaos-stripe';

const PAYMENT_ID = 'ledgerflow_payment_id';
const REFUND_KEY = 'ledgerflow_refund_key';
const EXAMPLES = 8;
const BEFORE_GATEWAY = new Set(['fraud_blocked', 'review_declined', 'review_timeout']);

/** What Stripe's books hold for our payments, for the report. */
export interface StripeFigures {
  paymentIntents: number;
  capturedCharges: number;
  refunds: number;
  disputes: Record<string, number>;
}

function result(name: string, checked: number, problems: string[]): InvariantResult {
  return { name, checked, violations: problems.length, examples: problems.slice(0, EXAMPLES) };
}

/** Every PaymentIntent the fake ever made, as it stands now (its creation events name them all). */
function allPaymentIntents(fake: StripeFake): FakePaymentIntent[] {
  return fake
    .events({ type: 'payment_intent.created' })
    .map((event) => fake.paymentIntent((event.data.object as { id: string }).id))
    .filter((intent): intent is FakePaymentIntent => intent !== undefined);
}

/**
 * Stripe's own books against ours, for every payment made through a Stripe account: exactly one
 * PaymentIntent per payment id and none for an id we do not know; what Stripe captured equals the
 * payment's amount_received for a succeeded payment and is nothing otherwise; a canceled payment's
 * PaymentIntent is canceled; refunds at Stripe never exceed the capture and are exactly our succeeded
 * refunds (one Stripe refund each) and the payment's amount_refunded; every dispute Stripe opened
 * is opened once with us, on the right payment, and closed as Stripe closed it.
 */
export async function stripeBooksMatch(db: PgClient, fake: StripeFake): Promise<{ result: InvariantResult; figures: StripeFigures }> {
  const payments = (
    await db.query(
      `select id, status, failure_code, gateway_reference, amount_captured_minor, amount_refunded_minor from payments where gateway = 'stripe'`,
    )
  ).rows;
  const known = new Set((await db.query(`select id from payments`)).rows.map((row) => row.id as string));
  const refunds = (
    await db.query(
      `select r.id, r.payment_id, r.status, r.amount_minor from refunds r join payments p on p.id = r.payment_id where p.gateway = 'stripe'`,
    )
  ).rows;
  const disputes = (
    await db.query(
      `select d.id, d.payment_id, d.status, d.network_reference from disputes d join payments p on p.id = d.payment_id where p.gateway = 'stripe'`,
    )
  ).rows;
  const intents = allPaymentIntents(fake);
  const charges = fake.charges();
  const stripeRefunds = fake.refunds().filter((refund) => refund.status !== 'failed' && refund.status !== 'canceled');
  const stripeDisputes = fake.disputes();
  const problems: string[] = [];

  const intentsOf = new Map<string, FakePaymentIntent[]>();
  for (const intent of intents) {
    const paymentId = intent.metadata[PAYMENT_ID];
    if (!paymentId || !known.has(paymentId)) {
      problems.push(
        `Stripe holds PaymentIntent ${intent.id} (${intent.status}) for ${paymentId ?? 'no payment id'}, which we have no record of`,
      );
      continue;
    }
    intentsOf.set(paymentId, [...(intentsOf.get(paymentId) ?? []), intent]);
  }
  const ourRefunds = groupBy(refunds, (row) => row.payment_id as string);
  for (const payment of payments) {
    const found = intentsOf.get(payment.id) ?? [];
    // The fraud rules and a manual review come before the gateway: such a payment never reached Stripe.
    if (found.length === 0 && (payment.status === 'requires_review' || BEFORE_GATEWAY.has(payment.failure_code))) continue;
    if (found.length !== 1) {
      problems.push(`payment ${payment.id} (${payment.status}) has ${found.length} PaymentIntents at Stripe`);
      if (found.length === 0) continue;
    }
    const intent = found[0];
    if (payment.gateway_reference && payment.gateway_reference !== intent.id)
      problems.push(`payment ${payment.id} names ${payment.gateway_reference}, Stripe holds ${intent.id}`);
    const paid = charges.filter((charge) => charge.payment_intent === intent.id && charge.paid);
    const captured = paid.reduce((sum, charge) => sum + charge.amount_captured, 0);
    if (paid.length > 1) problems.push(`payment ${payment.id} has ${paid.length} charges at Stripe`);
    if (payment.status === 'succeeded') {
      if (intent.status !== 'succeeded') problems.push(`succeeded payment ${payment.id} is ${intent.status} at Stripe`);
      if (captured !== Number(payment.amount_captured_minor))
        problems.push(`payment ${payment.id} received ${payment.amount_captured_minor}, Stripe captured ${captured}`);
    } else if (captured !== 0) {
      problems.push(`payment ${payment.id} is ${payment.status} but Stripe captured ${captured}`);
    }
    if (payment.status === 'canceled' && intent.status !== 'canceled')
      problems.push(`canceled payment ${payment.id} is ${intent.status} at Stripe`);
    if (payment.status === 'requires_capture' && intent.status !== 'requires_capture')
      problems.push(`payment ${payment.id} awaits capture but is ${intent.status} at Stripe`);

    const atStripe = stripeRefunds.filter((refund) => refund.payment_intent === intent.id);
    const refundedAtStripe = atStripe.reduce((sum, refund) => sum + refund.amount, 0);
    const succeeded = (ourRefunds.get(payment.id) ?? []).filter((row) => row.status === 'succeeded');
    const ourRefunded = succeeded.reduce((sum, row) => sum + Number(row.amount_minor), 0);
    if (refundedAtStripe > captured) problems.push(`payment ${payment.id}: Stripe refunded ${refundedAtStripe} of ${captured} captured`);
    if (refundedAtStripe !== ourRefunded)
      problems.push(`payment ${payment.id}: Stripe refunded ${refundedAtStripe}, our succeeded refunds add to ${ourRefunded}`);
    if (Number(payment.amount_refunded_minor ?? 0) !== ourRefunded)
      problems.push(`payment ${payment.id} shows ${payment.amount_refunded_minor} refunded, its refunds add to ${ourRefunded}`);
    for (const refund of ourRefunds.get(payment.id) ?? []) {
      const copies = atStripe.filter((candidate) => candidate.metadata[REFUND_KEY] === `${refund.id}:refund`).length;
      if (copies !== (refund.status === 'succeeded' ? 1 : 0))
        problems.push(`refund ${refund.id} (${refund.status}) has ${copies} refunds at Stripe`);
    }
  }

  const ours = groupBy(disputes, (row) => row.network_reference as string);
  for (const dispute of stripeDisputes) {
    const opened = ours.get(dispute.id) ?? [];
    if (opened.length !== 1) {
      problems.push(`Stripe dispute ${dispute.id} (${dispute.status}) is opened ${opened.length} times with us`);
      continue;
    }
    const intent = intents.find((candidate) => candidate.id === dispute.payment_intent);
    if (opened[0].payment_id !== intent?.metadata[PAYMENT_ID])
      problems.push(`Stripe dispute ${dispute.id} is of ${intent?.metadata[PAYMENT_ID]}, ours of ${opened[0].payment_id}`);
    if ((dispute.status === 'won' || dispute.status === 'lost') && opened[0].status !== dispute.status)
      problems.push(`Stripe dispute ${dispute.id} is ${dispute.status}, ours ${opened[0].status}`);
  }
  const stripeDisputeIds = new Set(stripeDisputes.map((dispute) => dispute.id));
  for (const dispute of disputes)
    if (!stripeDisputeIds.has(dispute.network_reference)) problems.push(`dispute ${dispute.id} has no dispute at Stripe behind it`);

  return {
    result: result(
      'Stripe holds one PaymentIntent per payment, charged once per succeeded payment and never otherwise; refunds within captures; disputes opened once',
      payments.length + intents.length + stripeDisputes.length,
      problems,
    ),
    figures: {
      paymentIntents: intents.length,
      capturedCharges: charges.filter((charge) => charge.captured).length,
      refunds: stripeRefunds.length,
      disputes: countBy(stripeDisputes.map((dispute) => dispute.status)),
    },
  };
}

/** Every event a Stripe account subscribed to was in the end answered 2xx by our API, however often Stripe had to send it. */
export function stripeEventsDelivered(stripe: ChaosStripe): InvariantResult {
  const figures = stripe.deliveryFigures();
  const problems = stripe
    .undeliveredEvents()
    .map((event) => `Stripe event ${event.id} (${event.type}) never answered 2xx after ${event.attempts} attempts`);
  return result('every Stripe event reached our API and was taken (Stripe redelivers the ones refused)', figures.events, problems);
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
