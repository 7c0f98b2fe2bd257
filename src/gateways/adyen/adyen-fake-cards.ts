import { luhnValid as luhnCheck } from '../../vault/card-validation';
/**
 * How the fake decides a payment's result from the card, as Adyen's test platform does: the card
 * number picks the scheme and 3-D Secure, the holder name picks a result code or refusal reason
 * (Adyen's "test result codes and refusal reasons" via holderName). Two fake-only behaviours (a refund
 * that fails later, a chargeback after capture) have no Adyen test trigger; they use the cards below.
 */

/** Adyen's refusal reasons and their `refusalReasonCode`s (Adyen docs, "Refusal reasons"). */
export const ADYEN_REFUSAL_REASONS: Readonly<Record<string, string>> = {
  Refused: '2',
  Referral: '3',
  'Acquirer Error': '4',
  'Blocked Card': '5',
  'Expired Card': '6',
  'Invalid Amount': '7',
  'Invalid Card Number': '8',
  'Issuer Unavailable': '9',
  'Not supported': '10',
  '3D Not Authenticated': '11',
  'Not enough balance': '12',
  'Acquirer Fraud': '14',
  Cancelled: '15',
  'Shopper Cancelled': '16',
  'Invalid Pin': '17',
  'Pin tries exceeded': '18',
  'Pin validation not possible': '19',
  FRAUD: '20',
  'Not Submitted': '21',
  'FRAUD-CANCELLED': '22',
  'Transaction Not Permitted': '23',
  'CVC Declined': '24',
  'Restricted Card': '25',
  'Revocation Of Auth': '26',
  'Declined Non Generic': '27',
  'Withdrawal amount exceeded': '28',
  'Withdrawal count exceeded': '29',
  'Issuer Suspected Fraud': '31',
  'AVS Declined': '32',
  'Card requires online pin': '33',
  'No checking account available on Card': '34',
  'No savings account available on Card': '35',
  'Mobile pin required': '36',
  'Contactless fallback': '37',
  'Authentication required': '38',
  'RReq not received from DS': '39',
};

/** Adyen's documented holder-name triggers, besides the refusal reason's own text (matched case-insensitively). */
const HOLDER_NAME_REASONS: Readonly<Record<string, string>> = {
  REFUSED: 'Refused',
  DECLINED: 'Refused',
  REFERRAL: 'Referral',
  ACQUIRER_ERROR: 'Acquirer Error',
  BLOCK_CARD: 'Blocked Card',
  CARD_EXPIRED: 'Expired Card',
  INVALID_AMOUNT: 'Invalid Amount',
  INVALID_CARD: 'Invalid Card Number',
  ISSUER_UNAVAILABLE: 'Issuer Unavailable',
  NOT_SUPPORTED: 'Not supported',
  NOT_3D_AUTHENTICATED: '3D Not Authenticated',
  NOT_ENOUGH_BALANCE: 'Not enough balance',
  FRAUD: 'FRAUD',
  CANCELLED: 'Cancelled',
  SHOPPER_CANCELLED: 'Shopper Cancelled',
  PIN_INVALID: 'Invalid Pin',
  PIN_TRIES_EXCEEDED: 'Pin tries exceeded',
  CVC_DECLINED: 'CVC Declined',
  RESTRICTED_CARD: 'Restricted Card',
  ISSUER_SUSPECTED_FRAUD: 'Issuer Suspected Fraud',
  WITHDRAWAL_AMOUNT_EXCEEDED: 'Withdrawal amount exceeded',
  WITHDRAWAL_COUNT_EXCEEDED: 'Withdrawal count exceeded',
  AUTHENTICATION_REQUIRED: 'Authentication required',
};

/** Card numbers the fake knows; any other Luhn-valid number is approved like ADYEN_TEST_CARDS.visa. */
export const ADYEN_TEST_CARDS = {
  visa: '4111111111111111',
  mastercard: '5555444433331111',
  /** Adyen's 3DS2 test cards, plus the number our shared tests use for "needs 3-D Secure". */
  threeDs: ['4917610000000000', '5454545454545454', '4000000000000002'],
  /** Fake-only: the refund is received (REFUND success) and fails afterwards (REFUND_FAILED). */
  refundFails: '4000000000005126',
  /** Fake-only: a CHARGEBACK notification follows the capture. */
  chargeback: '4000000000000259',
  /**
   * Fake-only, for cards from our vault (which keeps no holder name, Adyen's own trigger): refused with
   * Not enough balance (a hard decline), with Acquirer Error (a soft one), and a capture that CAPTURE_FAILED follows.
   */
  notEnoughBalance: '4000000000009995',
  acquirerError: '4000000000000119',
  captureFails: '4000000000000341',
} as const;

export type CardOutcome =
  | { kind: 'authorised' }
  | { kind: 'refused'; reason: string; code: string }
  | { kind: 'challenge' }
  | { kind: 'pending' | 'received' }
  | { kind: 'error'; reason: string };

export interface CardTraits {
  refundFails: boolean;
  chargeback: boolean;
  captureFails: boolean;
}

export function refusal(reason: string): { kind: 'refused'; reason: string; code: string } {
  return { kind: 'refused', reason, code: ADYEN_REFUSAL_REASONS[reason] ?? '2' };
}

/** The result Adyen's test platform gives a card; `now` decides expiry. */
export function cardOutcome(
  card: { number?: string; holderName?: string; expiryMonth?: string; expiryYear?: string },
  now: Date,
): CardOutcome {
  const name = (card.holderName ?? '').trim();
  const upper = name.toUpperCase();
  if (upper === 'ERROR') return { kind: 'error', reason: 'Acquirer Error' };
  if (upper === 'PENDING') return { kind: 'pending' };
  if (upper === 'RECEIVED') return { kind: 'received' };
  const named = HOLDER_NAME_REASONS[upper] ?? Object.keys(ADYEN_REFUSAL_REASONS).find((reason) => reason.toUpperCase() === upper);
  if (named) return refusal(named);
  const month = Number(card.expiryMonth);
  const year = Number(card.expiryYear);
  if (month && year && (year < now.getUTCFullYear() || (year === now.getUTCFullYear() && month < now.getUTCMonth() + 1)))
    return refusal('Expired Card');
  if (card.number && (ADYEN_TEST_CARDS.threeDs as readonly string[]).includes(card.number)) return { kind: 'challenge' };
  if (card.number === ADYEN_TEST_CARDS.notEnoughBalance) return refusal('Not enough balance');
  if (card.number === ADYEN_TEST_CARDS.acquirerError) return refusal('Acquirer Error');
  return { kind: 'authorised' };
}

export function cardTraits(card: { number?: string; holderName?: string }): CardTraits {
  const upper = (card.holderName ?? '').trim().toUpperCase();
  return {
    refundFails: card.number === ADYEN_TEST_CARDS.refundFails || upper === 'REFUND_FAILED',
    chargeback: card.number === ADYEN_TEST_CARDS.chargeback || upper === 'CHARGEBACK',
    captureFails: card.number === ADYEN_TEST_CARDS.captureFails || upper === 'CAPTURE_FAILED',
  };
}

/** A 12 to 19 digit number passing the vault's own Luhn check. */
export function luhnValid(number: string): boolean {
  return /^\d{12,19}$/.test(number) && luhnCheck(number);
}

export function cardBrand(number: string | undefined): string {
  if (number?.startsWith('4')) return 'visa';
  if (number && /^(5[1-5]|2[2-7])/.test(number)) return 'mc';
  if (number && /^3[47]/.test(number)) return 'amex';
  return 'visa';
}
