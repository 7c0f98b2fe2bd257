import { luhnValid as luhnCheck } from '../../vault/card-validation';
/**
 * Stripe's documented test cards for the fake: each number with the PaymentMethod ids and tokens
 * Stripe maps to it, and what a charge on it does. Only test-mode values Stripe publishes appear
 * here; an unknown number that passes Luhn is a "live card in test mode", as Stripe answers.
 */

export interface FakeDecline {
  /** The error's `code`: `card_declined`, or a more specific one Stripe uses without a decline code. */
  code: string;
  declineCode?: string;
  adviceCode?: string;
  message: string;
  param?: string;
  /** Stripe's Radar blocked the charge before the network saw it. */
  blocked?: boolean;
}

export interface FakeCard {
  number: string;
  brand: string;
  funding: 'credit' | 'debit' | 'prepaid';
  decline?: FakeDecline;
  /** Confirming needs the customer to authenticate (3-D Secure). */
  authentication?: boolean;
  /** The network opens a fraudulent dispute shortly after the charge is captured. */
  dispute?: boolean;
  /** Refunds begin succeeded then fail, or begin pending then succeed (both with charge.refund.updated). */
  refund?: 'fails_later' | 'pending_then_succeeds';
  riskLevel: 'normal' | 'elevated' | 'highest';
}

const DECLINED = 'Your card was declined.';

const decline = (code: string, declineCode: string | undefined, message: string, extra: Partial<FakeDecline> = {}): FakeDecline => ({
  code,
  declineCode,
  message,
  ...extra,
});

interface Entry extends Omit<FakeCard, 'riskLevel' | 'funding'> {
  funding?: FakeCard['funding'];
  riskLevel?: FakeCard['riskLevel'];
  /** The suffixes of `pm_card_<name>` and `tok_<name>` Stripe documents for this number. */
  names: string[];
}

const ENTRIES: Entry[] = [
  { number: '4242424242424242', brand: 'visa', names: ['visa'] },
  { number: '4000056655665556', brand: 'visa', funding: 'debit', names: ['visa_debit'] },
  { number: '5555555555554444', brand: 'mastercard', names: ['mastercard'] },
  { number: '5200828282828210', brand: 'mastercard', funding: 'debit', names: ['mastercard_debit'] },
  { number: '5105105105105100', brand: 'mastercard', funding: 'prepaid', names: ['mastercard_prepaid'] },
  { number: '378282246310005', brand: 'amex', names: ['amex'] },
  { number: '6011111111111117', brand: 'discover', names: ['discover'] },
  { number: '3056930009020004', brand: 'diners', names: ['diners'] },
  { number: '3566002020360505', brand: 'jcb', names: ['jcb'] },
  { number: '4000000000009235', brand: 'visa', riskLevel: 'elevated', names: ['riskLevelElevated'] },
  {
    number: '4000000000000002',
    brand: 'visa',
    decline: decline('card_declined', 'generic_decline', DECLINED),
    names: ['chargeDeclined', 'visa_chargeDeclined'],
  },
  {
    number: '4000000000009995',
    brand: 'visa',
    decline: decline('card_declined', 'insufficient_funds', 'Your card has insufficient funds.', { adviceCode: 'try_again_later' }),
    names: ['chargeDeclinedInsufficientFunds', 'visa_chargeDeclinedInsufficientFunds'],
  },
  {
    number: '4000000000009987',
    brand: 'visa',
    decline: decline('card_declined', 'lost_card', DECLINED, { adviceCode: 'do_not_try_again' }),
    names: ['chargeDeclinedLostCard', 'visa_chargeDeclinedLostCard'],
  },
  {
    number: '4000000000009979',
    brand: 'visa',
    decline: decline('card_declined', 'stolen_card', DECLINED, { adviceCode: 'do_not_try_again' }),
    names: ['chargeDeclinedStolenCard', 'visa_chargeDeclinedStolenCard'],
  },
  {
    number: '4000000000000069',
    brand: 'visa',
    decline: decline('expired_card', undefined, 'Your card has expired.', { param: 'exp_month' }),
    names: ['chargeDeclinedExpiredCard', 'visa_chargeDeclinedExpiredCard'],
  },
  {
    number: '4000000000000127',
    brand: 'visa',
    decline: decline('incorrect_cvc', undefined, "Your card's security code is incorrect.", { param: 'cvc' }),
    names: ['chargeDeclinedIncorrectCvc', 'visa_chargeDeclinedIncorrectCvc'],
  },
  {
    number: '4000000000000119',
    brand: 'visa',
    decline: decline('processing_error', undefined, 'An error occurred while processing your card. Try again in a little bit.'),
    names: ['chargeDeclinedProcessingError', 'visa_chargeDeclinedProcessingError'],
  },
  {
    number: '4000000000006975',
    brand: 'visa',
    decline: decline(
      'card_declined',
      'card_velocity_exceeded',
      'Your card was declined for making repeated attempts too frequently or exceeding its amount limit.',
    ),
    names: ['chargeDeclinedVelocityLimitExceeded', 'visa_chargeDeclinedVelocityLimitExceeded'],
  },
  {
    number: '4100000000000019',
    brand: 'visa',
    riskLevel: 'highest',
    decline: decline('card_declined', 'fraudulent', DECLINED, { blocked: true, adviceCode: 'do_not_try_again' }),
    names: ['radarBlock', 'chargeDeclinedFraudulent', 'visa_chargeDeclinedFraudulent'],
  },
  { number: '4000002760003184', brand: 'visa', authentication: true, names: ['authenticationRequired'] },
  { number: '4000000000003220', brand: 'visa', authentication: true, names: ['threeDSecure2Required'] },
  { number: '4000002500003155', brand: 'visa', authentication: true, names: ['authenticationRequiredOnSetup'] },
  { number: '4000000000000259', brand: 'visa', dispute: true, names: ['createDispute'] },
  { number: '4000000000005126', brand: 'visa', refund: 'fails_later', names: ['refundFail'] },
  { number: '4000000000007726', brand: 'visa', refund: 'pending_then_succeeds', names: ['pendingRefund'] },
];

const byNumber = new Map<string, FakeCard>();
const byName = new Map<string, FakeCard>();
for (const { names, ...entry } of ENTRIES) {
  const card: FakeCard = { funding: 'credit', riskLevel: 'normal', ...entry };
  byNumber.set(card.number, card);
  for (const name of names) byName.set(name, card);
}

/** A documented test PaymentMethod id (`pm_card_visa`), which Stripe turns into a fresh PaymentMethod on each use. */
export function cardOfTestPaymentMethod(id: string): FakeCard | undefined {
  return id.startsWith('pm_card_') ? byName.get(id.slice('pm_card_'.length)) : undefined;
}

/** A documented test token (`tok_visa`). */
export function cardOfTestToken(token: string): FakeCard | undefined {
  return token.startsWith('tok_') ? byName.get(token.slice('tok_'.length)) : undefined;
}

/** A number as Stripe treats it in test mode: a listed test card, or any other valid number as a live card. */
export function cardOfNumber(number: string): FakeCard | undefined {
  const known = byNumber.get(number);
  if (known) return known;
  if (!luhnValid(number)) return undefined;
  return {
    number,
    brand: brandOf(number),
    funding: 'credit',
    riskLevel: 'normal',
    decline: decline(
      'card_declined',
      'test_mode_live_card',
      'Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing.',
    ),
  };
}

/** A 12 to 19 digit number passing the vault's own Luhn check. */
export function luhnValid(number: string): boolean {
  return /^\d{12,19}$/.test(number) && luhnCheck(number);
}

function brandOf(number: string): string {
  if (number.startsWith('4')) return 'visa';
  if (/^5[1-5]|^2[2-7]/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (/^6(011|5)/.test(number)) return 'discover';
  return 'unknown';
}
