import { randomInt } from 'node:crypto';
import { cardBrand, cardOutcome, cardTraits, luhnValid, type CardTraits } from './adyen-fake-cards';
import type { FakeNotificationBus, NotificationDestination } from './adyen-fake-notifications';

export interface FakeAdyenAccountInput {
  apiKey: string;
  merchantAccount: string;
  /** Hex, as the Customer Area shows it. */
  hmacKey: string;
  notificationUrl?: string;
  /** Basic auth the notifications carry, as configured on an Adyen webhook. */
  notificationAuth?: { username: string; password: string };
}

export interface FakeAdyenPayment {
  pspReference: string;
  merchantReference: string;
  merchantAccount: string;
  amount: { value: number; currency: string };
  resultCode: string;
  refusalReason?: string;
  manualCapture: boolean;
  /** authorised → captured/cancelled; refused/error are final; pending_action waits for `completeAction`. */
  status: 'pending_action' | 'authorised' | 'refused' | 'error' | 'pending' | 'cancelled';
  captured: number;
  refunded: number;
  chargedBack: number;
  brand: string;
  returnUrl?: string;
}

export interface FakeAdyenModification {
  pspReference: string;
  paymentPspReference: string | null;
  type: 'capture' | 'cancel' | 'refund' | 'technical_cancel';
  merchantAccount: string;
  reference?: string;
  /** Our reference, for a technical cancel (POST /cancels). */
  paymentReference?: string;
  amount?: { value: number; currency: string };
  /** received until processed; then succeeded or failed (failed later for REFUND_FAILED / CAPTURE_FAILED). */
  status: 'received' | 'succeeded' | 'failed';
  reason?: string;
}

export class AdyenApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly errorType: 'validation' | 'security' | 'configuration' | 'internal' = 'validation',
  ) {
    super(message);
  }
  body(pspReference: string) {
    return { status: this.status, errorCode: this.errorCode, message: this.message, errorType: this.errorType, pspReference };
  }
}

export class FakeAdyenAccount implements NotificationDestination {
  readonly apiKey: string;
  readonly merchantAccount: string;
  readonly hmacKey: string;
  notificationUrl?: string;
  notificationAuth?: { username: string; password: string };
  readonly payments = new Map<string, FakeAdyenPayment & { traits: CardTraits }>();
  readonly modifications = new Map<string, FakeAdyenModification>();
  readonly idempotency = new Map<string, { path: string; body: string; status: number; answer: string }>();
  constructor(input: FakeAdyenAccountInput) {
    if (!/^[0-9a-fA-F]{2,}$/.test(input.hmacKey)) throw new Error('The HMAC key must be hex');
    this.apiKey = input.apiKey;
    this.merchantAccount = input.merchantAccount;
    this.hmacKey = input.hmacKey;
    this.notificationUrl = input.notificationUrl;
    this.notificationAuth = input.notificationAuth;
  }
}

export interface StateContext {
  now: () => number;
  bus: FakeNotificationBus;
  later(ms: number, work: () => void): void;
  modificationDelayMs: number;
  chargebackDelayMs: number;
  redirectUrl(pspReference: string): string;
}

/** Adyen's pspReferences: 16 upper-case letters and digits. */
export function newPspReference(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let out = '';
  for (let i = 0; i < 16; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export type Body = Record<string, unknown>;
export const record = (value: unknown): Body => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Body) : {});

export function checkMerchant(account: FakeAdyenAccount, body: Body): void {
  if (body.merchantAccount === undefined) throw new AdyenApiError(422, '000', "Required field 'merchantAccount' is null");
  if (body.merchantAccount !== account.merchantAccount) throw new AdyenApiError(403, '901', 'Invalid Merchant Account', 'security');
}

export function amountOf(body: Body, required: boolean): { value: number; currency: string } | undefined {
  if (body.amount === undefined && !required) return undefined;
  const amount = record(body.amount);
  if (!Number.isInteger(amount.value) || (amount.value as number) < 0) throw new AdyenApiError(422, '137', 'Invalid amount specified');
  if (typeof amount.currency !== 'string' || !/^[A-Z]{3}$/.test(amount.currency))
    throw new AdyenApiError(422, '138', 'No amount specified');
  return { value: amount.value as number, currency: amount.currency };
}

export function authorise(ctx: StateContext, account: FakeAdyenAccount, body: Body): Body {
  checkMerchant(account, body);
  const amount = amountOf(body, true) as { value: number; currency: string };
  if (typeof body.reference !== 'string' || !body.reference)
    throw new AdyenApiError(422, '130', "Required field 'reference' is not provided.");
  const method = record(body.paymentMethod);
  if (!body.paymentMethod) throw new AdyenApiError(422, '000', "Required field 'paymentMethod' is not provided.");
  const card = {
    number: typeof method.number === 'string' ? method.number.replace(/\s/g, '') : undefined,
    holderName:
      typeof method.holderName === 'string' ? method.holderName : typeof body.shopperName === 'string' ? body.shopperName : undefined,
    expiryMonth: method.expiryMonth as string | undefined,
    expiryYear: method.expiryYear as string | undefined,
  };
  if (!card.number && !method.storedPaymentMethodId && !method.encryptedCardNumber)
    throw new AdyenApiError(422, '000', 'Card number is required');
  if (card.number && !luhnValid(card.number)) throw new AdyenApiError(422, '101', 'Invalid card number');
  const outcome = cardOutcome(card, new Date(ctx.now()));
  const additional = record(body.additionalData);
  const manualCapture = additional.manualCapture === 'true' || additional.manualCapture === true;
  const pspReference = newPspReference();
  const payment = {
    pspReference,
    merchantReference: body.reference,
    merchantAccount: account.merchantAccount,
    amount,
    resultCode: {
      authorised: 'Authorised',
      refused: 'Refused',
      challenge: 'RedirectShopper',
      pending: 'Pending',
      received: 'Received',
      error: 'Error',
    }[outcome.kind],
    manualCapture,
    status: (
      {
        authorised: 'authorised',
        refused: 'refused',
        challenge: 'pending_action',
        pending: 'pending',
        received: 'pending',
        error: 'error',
      } as const
    )[outcome.kind],
    captured: 0,
    refunded: 0,
    chargedBack: 0,
    brand: cardBrand(card.number),
    returnUrl: typeof body.returnUrl === 'string' ? body.returnUrl : undefined,
    traits: cardTraits(card),
    ...(outcome.kind === 'refused' || outcome.kind === 'error' ? { refusalReason: outcome.reason } : {}),
  };
  account.payments.set(pspReference, payment);
  const answer: Body = { pspReference, resultCode: payment.resultCode, amount, merchantReference: payment.merchantReference };
  if (outcome.kind === 'refused') Object.assign(answer, { refusalReason: outcome.reason, refusalReasonCode: outcome.code });
  if (outcome.kind === 'error') answer.refusalReason = outcome.reason;
  if (outcome.kind === 'challenge')
    answer.action = { paymentMethodType: 'scheme', url: ctx.redirectUrl(pspReference), method: 'GET', type: 'redirect' };
  if (outcome.kind === 'authorised') {
    answer.additionalData = { cardSummary: card.number?.slice(-4) ?? '', paymentMethod: cardBrand(card.number) };
    settleAuthorisation(ctx, account, payment, true, '');
  }
  if (outcome.kind === 'refused') settleAuthorisation(ctx, account, payment, false, outcome.reason);
  return answer;
}

/** The AUTHORISATION notification, and the capture that follows at once without manual capture. */
function settleAuthorisation(
  ctx: StateContext,
  account: FakeAdyenAccount,
  payment: FakeAdyenPayment & { traits: CardTraits },
  success: boolean,
  reason: string,
) {
  ctx.bus.emit(account, {
    eventCode: 'AUTHORISATION',
    success: success ? 'true' : 'false',
    pspReference: payment.pspReference,
    merchantReference: payment.merchantReference,
    amount: payment.amount,
    reason,
    paymentMethod: payment.brand,
    operations: success ? (payment.manualCapture ? ['CANCEL', 'CAPTURE', 'REFUND'] : ['REFUND']) : undefined,
  });
  if (success && !payment.manualCapture) {
    payment.captured = payment.amount.value;
    scheduleChargeback(ctx, account, payment);
  }
}

export function completeAction(ctx: StateContext, account: FakeAdyenAccount, pspReference: string, succeed: boolean): FakeAdyenPayment {
  const payment = account.payments.get(pspReference);
  if (!payment) throw new Error(`No such payment in the fake: ${pspReference}`);
  if (payment.status !== 'pending_action') throw new Error(`Payment ${pspReference} does not wait for the shopper (${payment.status})`);
  payment.status = succeed ? 'authorised' : 'refused';
  payment.resultCode = succeed ? 'Authorised' : 'Refused';
  if (!succeed) payment.refusalReason = '3D Not Authenticated';
  settleAuthorisation(ctx, account, payment, succeed, succeed ? '' : '3D Not Authenticated');
  return payment;
}

export function scheduleChargeback(ctx: StateContext, account: FakeAdyenAccount, payment: FakeAdyenPayment & { traits: CardTraits }) {
  if (!payment.traits.chargeback || payment.chargedBack > 0) return;
  ctx.later(ctx.chargebackDelayMs, () => {
    payment.chargedBack = payment.captured;
    ctx.bus.emit(account, {
      eventCode: 'CHARGEBACK',
      success: 'true',
      pspReference: payment.pspReference,
      originalReference: payment.pspReference,
      merchantReference: payment.merchantReference,
      amount: { value: payment.captured, currency: payment.amount.currency },
      reason: 'Fraudulent Processing of Transactions',
      additionalData: {
        chargebackReasonCode: '10.4',
        chargebackSchemeCode: 'visa',
        defensePeriodEndsAt: new Date(ctx.now() + 20 * 86400_000).toISOString(),
      },
    });
  });
}
