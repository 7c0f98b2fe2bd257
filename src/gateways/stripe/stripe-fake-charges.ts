import type { FakeDecline } from './stripe-fake-cards';
import type { FakeAccount, FakeContext, RequestRef, StoredPaymentIntent, StoredPaymentMethod } from './stripe-fake-account';
import { seconds } from './stripe-fake-account';
import {
  FakeApiError,
  approvedOutcome,
  declinedOutcome,
  docUrl,
  stripeId,
  type FakeCharge,
  type FakePaymentIntent,
  type StripeErrorBody,
} from './stripe-fake-objects';
import { openDispute } from './stripe-fake-refunds';

// The card network's side of a confirmation: an approved or a declined charge, and the dispute a createDispute card draws.

/** An approved charge: authorized for a manual capture, captured at once otherwise. */
export function approve(ctx: FakeContext, account: FakeAccount, stored: StoredPaymentIntent, request: RequestRef): void {
  const paymentIntent = stored.object;
  const card = stored.card;
  if (!card || !paymentIntent.payment_method) throw new Error(`PaymentIntent ${paymentIntent.id} has no card to charge`);
  const manual = paymentIntent.capture_method === 'manual';
  const charge = newCharge(ctx, account, paymentIntent, paymentIntent.payment_method, {
    status: 'succeeded',
    captured: !manual,
    outcome: approvedOutcome(card.riskLevel),
  });
  account.charges.set(charge.id, { object: charge, card, released: 0 });
  paymentIntent.latest_charge = charge.id;
  paymentIntent.next_action = null;
  paymentIntent.last_payment_error = null;
  ctx.emit(account, 'charge.succeeded', charge, request);
  if (manual) {
    paymentIntent.status = 'requires_capture';
    paymentIntent.amount_capturable = paymentIntent.amount;
    ctx.emit(account, 'payment_intent.amount_capturable_updated', paymentIntent, request);
  } else {
    paymentIntent.status = 'succeeded';
    paymentIntent.amount_received = paymentIntent.amount;
    ctx.emit(account, 'payment_intent.succeeded', paymentIntent, request);
    afterCapture(ctx, account, charge.id);
  }
}

/** A declined charge: the PaymentIntent goes back to requires_payment_method and the answer is Stripe's 402 card_error. */
export function decline(
  ctx: FakeContext,
  account: FakeAccount,
  stored: StoredPaymentIntent,
  paymentMethod: StoredPaymentMethod,
  reason: FakeDecline,
  request: RequestRef,
): never {
  const paymentIntent = stored.object;
  const charge = newCharge(ctx, account, paymentIntent, paymentMethod.object.id, {
    status: 'failed',
    captured: false,
    outcome: declinedOutcome(reason.declineCode ?? reason.code, paymentMethod.card.riskLevel, reason.blocked ?? false),
    failure: reason,
  });
  account.charges.set(charge.id, { object: charge, card: paymentMethod.card, released: 0 });
  const error: StripeErrorBody = {
    type: 'card_error',
    code: reason.code,
    ...(reason.declineCode ? { decline_code: reason.declineCode } : {}),
    ...(reason.adviceCode ? { advice_code: reason.adviceCode } : {}),
    doc_url: docUrl(reason.code),
    message: reason.message,
    ...(reason.param ? { param: reason.param } : {}),
    charge: charge.id,
    payment_method: structuredClone(paymentMethod.object),
  };
  paymentIntent.status = 'requires_payment_method';
  paymentIntent.payment_method = null;
  paymentIntent.next_action = null;
  paymentIntent.latest_charge = charge.id;
  paymentIntent.last_payment_error = error;
  ctx.emit(account, 'charge.failed', charge, request);
  ctx.emit(account, 'payment_intent.payment_failed', paymentIntent, request);
  throw new FakeApiError(402, { ...error, payment_intent: structuredClone(paymentIntent) }, true);
}

function newCharge(
  ctx: FakeContext,
  account: FakeAccount,
  paymentIntent: FakePaymentIntent,
  paymentMethodId: string,
  how: { status: FakeCharge['status']; captured: boolean; outcome: FakeCharge['outcome']; failure?: FakeDecline },
): FakeCharge {
  const card = account.paymentMethods.get(paymentMethodId)?.object.card;
  return {
    id: stripeId('ch'),
    object: 'charge',
    amount: paymentIntent.amount,
    amount_captured: how.captured ? paymentIntent.amount : 0,
    amount_refunded: 0,
    balance_transaction: how.captured ? stripeId('txn') : null,
    captured: how.captured,
    created: seconds(ctx.now()),
    currency: paymentIntent.currency,
    description: paymentIntent.description,
    disputed: false,
    failure_code: how.failure?.code ?? null,
    failure_message: how.failure?.message ?? null,
    livemode: account.livemode,
    metadata: { ...paymentIntent.metadata },
    outcome: how.outcome,
    paid: how.status === 'succeeded',
    payment_intent: paymentIntent.id,
    payment_method: paymentMethodId,
    payment_method_details: {
      type: 'card',
      card: {
        brand: card?.brand ?? 'unknown',
        last4: card?.last4 ?? '0000',
        exp_month: card?.exp_month ?? 12,
        exp_year: card?.exp_year ?? 2099,
        funding: card?.funding ?? 'credit',
      },
    },
    refunded: false,
    status: how.status,
  };
}

/** Captured money on a createDispute card draws the network's dispute a little later. */
export function afterCapture(ctx: FakeContext, account: FakeAccount, chargeId: string): void {
  if (account.charges.get(chargeId)?.card.dispute) ctx.later(ctx.disputeDelayMs, () => openDispute(ctx, account, chargeId));
}
