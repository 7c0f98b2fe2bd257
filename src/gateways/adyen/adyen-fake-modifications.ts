import {
  AdyenApiError,
  amountOf,
  checkMerchant,
  newPspReference,
  scheduleChargeback,
  type Body,
  type FakeAdyenAccount,
  type FakeAdyenModification,
  type FakeAdyenPayment,
  type StateContext,
} from './adyen-fake-state';
import type { CardTraits } from './adyen-fake-cards';

/*
 * Captures, cancels and refunds as Adyen runs them: the API only says "received"; the outcome is
 * decided afterwards and arrives as a notification (and may be reversed later: CAPTURE_FAILED, REFUND_FAILED).
 */

const EVENT = { capture: 'CAPTURE', cancel: 'CANCELLATION', refund: 'REFUND', technical_cancel: 'TECHNICAL_CANCEL' } as const;

/** POST /payments/{psp}/captures|cancels|refunds and POST /cancels: received now, decided (and notified) later. */
export function modify(
  ctx: StateContext,
  account: FakeAdyenAccount,
  type: FakeAdyenModification['type'],
  paymentPsp: string | null,
  body: Body,
): Body {
  checkMerchant(account, body);
  const amount = amountOf(body, type === 'capture' || type === 'refund');
  let payment: (FakeAdyenPayment & { traits: CardTraits }) | undefined;
  if (type === 'technical_cancel') {
    if (typeof body.paymentReference !== 'string')
      throw new AdyenApiError(422, '000', "Required field 'paymentReference' is not provided.");
    payment = [...account.payments.values()].find((p) => p.merchantReference === body.paymentReference);
  } else {
    payment = account.payments.get(paymentPsp as string);
    if (!payment) throw new AdyenApiError(422, '167', 'Original pspReference required for this operation');
    if (amount && amount.currency !== payment.amount.currency) throw new AdyenApiError(422, '000', 'Currency mismatch');
  }
  const modification: FakeAdyenModification = {
    pspReference: newPspReference(),
    paymentPspReference: payment?.pspReference ?? null,
    type,
    merchantAccount: account.merchantAccount,
    reference: typeof body.reference === 'string' ? body.reference : undefined,
    ...(type === 'technical_cancel' ? { paymentReference: body.paymentReference as string } : {}),
    amount,
    status: 'received',
  };
  account.modifications.set(modification.pspReference, modification);
  ctx.later(ctx.modificationDelayMs, () => {
    // A technical cancel also reaches a payment whose authorisation was still in flight when it arrived.
    const target = payment ?? [...account.payments.values()].find((p) => p.merchantReference === modification.paymentReference);
    modification.paymentPspReference = target?.pspReference ?? null;
    settle(ctx, account, modification, target);
  });
  const answer: Body = { merchantAccount: account.merchantAccount, pspReference: modification.pspReference, status: 'received' };
  if (type === 'technical_cancel') answer.paymentReference = body.paymentReference;
  else answer.paymentPspReference = paymentPsp;
  if (modification.reference) answer.reference = modification.reference;
  if (amount) answer.amount = amount;
  return answer;
}

function refusalOf(type: FakeAdyenModification['type'], payment: FakeAdyenPayment | undefined, value: number): string | undefined {
  if (!payment) return 'Original payment not found';
  if (type === 'capture') {
    if (payment.status !== 'authorised') return `Payment is ${payment.status}`;
    if (payment.captured + value > payment.amount.value) return 'Insufficient balance on payment';
  }
  if (type === 'cancel' || type === 'technical_cancel') {
    if (payment.status === 'cancelled') return undefined;
    if (payment.status !== 'authorised' && payment.status !== 'pending_action') return `Payment is ${payment.status}`;
    if (payment.captured > 0) return 'Transaction is already captured';
  }
  if (type === 'refund' && payment.refunded + value > payment.captured) return 'Insufficient balance on payment';
  return undefined;
}

function settle(
  ctx: StateContext,
  account: FakeAdyenAccount,
  modification: FakeAdyenModification,
  payment?: FakeAdyenPayment & { traits: CardTraits },
) {
  const value = modification.amount?.value ?? payment?.amount.value ?? 0;
  const reason = refusalOf(modification.type, payment, value);
  modification.status = reason ? 'failed' : 'succeeded';
  modification.reason = reason;
  if (!reason && payment) {
    if (modification.type === 'capture') payment.captured += value;
    if (modification.type === 'refund') payment.refunded += value;
    if (modification.type === 'cancel' || modification.type === 'technical_cancel') payment.status = 'cancelled';
  }
  const notify = (eventCode: string, success: boolean, why: string) =>
    ctx.bus.emit(account, {
      eventCode,
      success: success ? 'true' : 'false',
      pspReference: modification.pspReference,
      originalReference: payment?.pspReference,
      merchantReference: modification.reference ?? payment?.merchantReference ?? modification.paymentReference ?? '',
      amount: { value, currency: modification.amount?.currency ?? payment?.amount.currency ?? 'EUR' },
      reason: why,
    });
  notify(EVENT[modification.type], !reason, reason ?? '');
  if (reason || !payment) return;
  if (modification.type === 'capture' && payment.traits.captureFails)
    ctx.later(ctx.modificationDelayMs, () => {
      payment.captured -= value;
      modification.status = 'failed';
      modification.reason = 'Capture failed at the acquirer';
      notify('CAPTURE_FAILED', true, modification.reason);
    });
  else if (modification.type === 'capture') scheduleChargeback(ctx, account, payment);
  if (modification.type === 'refund' && payment.traits.refundFails)
    ctx.later(ctx.modificationDelayMs, () => {
      payment.refunded -= value;
      modification.status = 'failed';
      modification.reason = 'Refund failed at the issuer';
      notify('REFUND_FAILED', true, modification.reason);
    });
}
