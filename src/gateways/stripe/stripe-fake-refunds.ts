import type { FakeAccount, FakeContext, RequestRef } from './stripe-fake-account';
import { seconds } from './stripe-fake-account';
import { stringMap, stringParam, type FormObject } from './stripe-fake-form';
import { formatAmount, invalidRequest, stateError, stripeId, unknownParam, type FakeDispute, type FakeRefund } from './stripe-fake-objects';

const REFUND_PARAMS = new Set([
  'payment_intent',
  'charge',
  'amount',
  'currency',
  'customer',
  'metadata',
  'reason',
  'expand',
  'instructions_email',
  'refund_application_fee',
  'reverse_transfer',
  'origin',
]);
const REFUND_REASONS = new Set(['duplicate', 'fraudulent', 'requested_by_customer']);

/** POST /v1/refunds: part or all of what is left of a captured charge; several partial refunds add up. */
export function createRefund(ctx: FakeContext, account: FakeAccount, params: FormObject, request: RequestRef): FakeRefund {
  for (const name of Object.keys(params)) if (!REFUND_PARAMS.has(name)) throw unknownParam(name);
  const paymentIntentId = stringParam(params, 'payment_intent');
  const chargeId = stringParam(params, 'charge');
  if (!paymentIntentId && !chargeId)
    throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', {
      code: 'parameter_missing',
    });
  const requested = optionalPositiveInteger(stringParam(params, 'amount'), 'amount');
  const reason = stringParam(params, 'reason');
  if (reason !== undefined && !REFUND_REASONS.has(reason))
    throw invalidRequest(`Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer`, { param: 'reason' });
  let stored;
  if (paymentIntentId) {
    const paymentIntent = account.paymentIntents.get(paymentIntentId)?.object;
    if (!paymentIntent)
      throw invalidRequest(`No such payment_intent: '${paymentIntentId}'`, { code: 'resource_missing', param: 'payment_intent' });
    stored = account.chargeOf(paymentIntent);
    // Stripe's answers here carry no error code, only the message.
    if (!stored || stored.object.status !== 'succeeded' || paymentIntent.status === 'canceled')
      throw stateError(`This PaymentIntent (${paymentIntentId}) does not have a successful charge to refund.`, undefined, {
        param: 'payment_intent',
      });
  } else {
    stored = account.charges.get(chargeId as string);
    if (!stored) throw invalidRequest(`No such charge: '${chargeId}'`, { code: 'resource_missing', param: 'charge' });
  }
  const charge = stored.object;
  if (!charge.captured)
    throw stateError(
      `Charge ${charge.id} has not been captured. To release an uncaptured charge, cancel the PaymentIntent instead.`,
      undefined,
      {
        param: paymentIntentId ? 'payment_intent' : 'charge',
      },
    );
  if (account.disputeBlockingRefundsOf(charge.id))
    throw stateError(`Charge ${charge.id} has been charged back; cannot issue a refund.`, 'charge_disputed');
  const left = charge.amount_captured - account.refundedOf(charge.id);
  if (left <= 0) throw stateError(`Charge ${charge.id} has already been refunded.`, 'charge_already_refunded');
  const amount = requested ?? left;
  if (amount > left)
    throw stateError(
      `Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(left, charge.currency)})`,
      'amount_too_large',
      { param: 'amount' },
    );
  const refund: FakeRefund = {
    id: stripeId('re'),
    object: 'refund',
    amount,
    balance_transaction: stripeId('txn'),
    charge: charge.id,
    created: seconds(ctx.now()),
    currency: charge.currency,
    metadata: stringMap(params.metadata),
    payment_intent: charge.payment_intent,
    reason: reason ?? null,
    status: stored.card.refund === 'pending_then_succeeds' ? 'pending' : 'succeeded',
  };
  account.refunds.set(refund.id, refund);
  account.syncRefunded(stored);
  ctx.emit(account, 'charge.refunded', charge, request);
  ctx.emit(account, 'refund.created', refund, request);
  if (stored.card.refund) {
    const outcome = stored.card.refund;
    ctx.later(ctx.refundSettleDelayMs, () => settleRefund(ctx, account, refund, outcome === 'fails_later' ? 'failed' : 'succeeded'));
  }
  return refund;
}

function settleRefund(ctx: FakeContext, account: FakeAccount, refund: FakeRefund, status: 'failed' | 'succeeded'): void {
  const previous = refund.status;
  refund.status = status;
  if (status === 'failed') {
    // The card could not take the money back: it returns to the balance, and the charge counts it as unrefunded again.
    refund.failure_reason = 'expired_or_canceled_card';
    const stored = account.charges.get(refund.charge);
    if (stored) account.syncRefunded(stored);
  }
  ctx.emit(account, 'charge.refund.updated', refund, undefined, { status: previous });
  ctx.emit(account, 'refund.updated', refund, undefined, { status: previous });
  if (status === 'failed') ctx.emit(account, 'refund.failed', refund);
}

/** GET /v1/refunds: newest first, by payment_intent or charge. */
export function listRefunds(account: FakeAccount, params: FormObject) {
  const paymentIntent = stringParam(params, 'payment_intent');
  const charge = stringParam(params, 'charge');
  const limit = optionalPositiveInteger(stringParam(params, 'limit'), 'limit') ?? 10;
  if (limit > 100) throw invalidRequest('This value must be less than or equal to 100.', { param: 'limit' });
  const all = [...account.refunds.values()]
    .filter((refund) => (!paymentIntent || refund.payment_intent === paymentIntent) && (!charge || refund.charge === charge))
    .reverse();
  return { object: 'list', data: all.slice(0, limit), has_more: all.length > limit, url: '/v1/refunds' };
}

/** The network's fraudulent dispute of a captured charge (the createDispute test card). */
export function openDispute(ctx: FakeContext, account: FakeAccount, chargeId: string): FakeDispute | undefined {
  const stored = account.charges.get(chargeId);
  if (!stored || stored.object.disputed) return undefined;
  const charge = stored.object;
  const created = seconds(ctx.now());
  const dispute: FakeDispute = {
    id: stripeId('dp'),
    object: 'dispute',
    amount: charge.amount_captured - account.refundedOf(charge.id),
    balance_transactions: [],
    charge: charge.id,
    created,
    currency: charge.currency,
    evidence_details: { due_by: created + 7 * 86_400, has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: false,
    livemode: account.livemode,
    metadata: {},
    payment_intent: charge.payment_intent,
    reason: 'fraudulent',
    status: 'needs_response',
  };
  account.disputes.set(dispute.id, dispute);
  charge.disputed = true;
  ctx.emit(account, 'charge.dispute.created', dispute);
  ctx.emit(account, 'charge.dispute.funds_withdrawn', dispute);
  return dispute;
}

/** The network's decision on a dispute. */
export function closeDispute(ctx: FakeContext, account: FakeAccount, dispute: FakeDispute, outcome: 'won' | 'lost'): void {
  if (dispute.status === 'won' || dispute.status === 'lost') throw new Error(`Dispute ${dispute.id} is already ${dispute.status}`);
  const previous = dispute.status;
  dispute.status = outcome;
  ctx.emit(account, 'charge.dispute.closed', dispute, undefined, { status: previous });
  if (outcome === 'won') ctx.emit(account, 'charge.dispute.funds_reinstated', dispute);
}

/**
 * GET /v1/balance: funds the account started with, plus what captures left after refunds and
 * disputes not won, less payouts not failed or canceled (those gave the money back), per currency.
 */
export function balanceOf(account: FakeAccount) {
  const net = new Map<string, number>();
  const add = (currency: string, amount: number) => net.set(currency, (net.get(currency) ?? 0) + amount);
  for (const { object: charge } of account.charges.values()) add(charge.currency, charge.amount_captured - account.refundedOf(charge.id));
  for (const dispute of account.disputes.values()) if (dispute.status !== 'won') add(dispute.currency, -dispute.amount);
  for (const [currency, amount] of account.fundedBalance) add(currency, amount);
  for (const { object: payout } of account.payouts.values())
    if (payout.status !== 'failed' && payout.status !== 'canceled') add(payout.currency, -payout.amount);
  if (net.size === 0) net.set('usd', 0);
  const entries = (amount: (currency: string) => number) =>
    [...net.keys()].map((currency) => ({ amount: amount(currency), currency, source_types: { card: amount(currency) } }));
  return {
    object: 'balance',
    available: entries((currency) => net.get(currency) ?? 0),
    pending: entries(() => 0),
    livemode: account.livemode,
  };
}

export function optionalPositiveInteger(value: string | undefined, param: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw invalidRequest(`Invalid positive integer: ${value}`, { code: 'parameter_invalid_integer', param });
  return Number(value);
}
