import type { FakeAccount, FakeContext, RequestRef } from './stripe-fake-account';
import { seconds } from './stripe-fake-account';
import { afterCapture } from './stripe-fake-charges';
import { stringMap, stringParam, type FormObject } from './stripe-fake-form';
import { invalidRequest, stateError, stripeId, unknownParam, type FakePaymentIntent } from './stripe-fake-objects';
import { paymentIntentOf } from './stripe-fake-payment-intents';
import { optionalPositiveInteger } from './stripe-fake-refunds';

const CAPTURE_PARAMS = new Set([
  'amount_to_capture',
  'amount_details',
  'application_fee_amount',
  'expand',
  'final_capture',
  'hooks',
  'metadata',
  'payment_details',
  'statement_descriptor',
  'statement_descriptor_suffix',
  'transfer_data',
]);
const CANCEL_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'];
const CANCELABLE = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];

/** POST /v1/payment_intents/:id/capture: all or part of the authorization; the rest goes back to the card. */
export function capturePaymentIntent(
  ctx: FakeContext,
  account: FakeAccount,
  id: string,
  params: FormObject,
  request: RequestRef,
): FakePaymentIntent {
  for (const name of Object.keys(params)) if (!CAPTURE_PARAMS.has(name)) throw unknownParam(name);
  const stored = paymentIntentOf(account, id);
  const paymentIntent = stored.object;
  const requested = optionalPositiveInteger(stringParam(params, 'amount_to_capture'), 'amount_to_capture');
  if (paymentIntent.status !== 'requires_capture')
    throw stateError(
      `This PaymentIntent could not be captured because it has a status of ${paymentIntent.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
      'payment_intent_unexpected_state',
      { payment_intent: structuredClone(paymentIntent) },
    );
  const amount = requested ?? paymentIntent.amount_capturable;
  if (amount > paymentIntent.amount_capturable)
    throw invalidRequest(
      `The amount to capture (${amount}) must be less than or equal to the PaymentIntent's amount_capturable (${paymentIntent.amount_capturable}).`,
      { code: 'amount_too_large', param: 'amount_to_capture' },
    );
  const charge = account.chargeOf(paymentIntent);
  if (!charge) throw new Error(`PaymentIntent ${id} is requires_capture without a charge`);
  Object.assign(paymentIntent.metadata, stringMap(params.metadata));
  charge.object.captured = true;
  charge.object.amount_captured = amount;
  charge.object.balance_transaction = stripeId('txn');
  charge.released = charge.object.amount - amount;
  account.syncRefunded(charge);
  paymentIntent.status = 'succeeded';
  paymentIntent.amount_received = amount;
  paymentIntent.amount_capturable = 0;
  ctx.emit(account, 'charge.captured', charge.object, request);
  ctx.emit(account, 'payment_intent.succeeded', paymentIntent, request);
  afterCapture(ctx, account, charge.object.id);
  return paymentIntent;
}

/** POST /v1/payment_intents/:id/cancel: an authorization is released in full. */
export function cancelPaymentIntent(
  ctx: FakeContext,
  account: FakeAccount,
  id: string,
  params: FormObject,
  request: RequestRef,
): FakePaymentIntent {
  for (const name of Object.keys(params)) if (!['cancellation_reason', 'expand'].includes(name)) throw unknownParam(name);
  const reason = stringParam(params, 'cancellation_reason');
  if (reason !== undefined && !CANCEL_REASONS.includes(reason))
    throw invalidRequest(`Invalid cancellation_reason: must be one of ${CANCEL_REASONS.join(', ')}`, { param: 'cancellation_reason' });
  const stored = paymentIntentOf(account, id);
  const paymentIntent = stored.object;
  if (!CANCELABLE.includes(paymentIntent.status))
    throw stateError(
      `You cannot cancel this PaymentIntent because it has a status of ${paymentIntent.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
      'payment_intent_unexpected_state',
      { payment_intent: structuredClone(paymentIntent) },
    );
  const charge = paymentIntent.status === 'requires_capture' ? account.chargeOf(paymentIntent) : undefined;
  if (charge) {
    charge.released = charge.object.amount;
    account.syncRefunded(charge);
  }
  paymentIntent.status = 'canceled';
  paymentIntent.canceled_at = seconds(ctx.now());
  paymentIntent.cancellation_reason = reason ?? null;
  paymentIntent.amount_capturable = 0;
  paymentIntent.next_action = null;
  ctx.emit(account, 'payment_intent.canceled', paymentIntent, request);
  return paymentIntent;
}
