/** The card brands the vault accepts, by their number's leading digits. */
export type CardBrand = 'visa' | 'mastercard' | 'amex';

export interface CardInput {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

export interface ValidCard {
  /** Digits only. */
  pan: string;
  brand: CardBrand;
  expMonth: number;
  expYear: number;
}

/** Why a card was refused: the field at fault and a message that never repeats its value. */
export interface CardProblem {
  param: 'card[number]' | 'card[exp_month]' | 'card[exp_year]' | 'card[cvc]';
  code: 'invalid_number' | 'incorrect_number' | 'invalid_expiry_month' | 'invalid_expiry_year' | 'expired_card' | 'invalid_cvc';
  message: string;
}

/** The Luhn (mod 10) check digit test every card number passes. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Visa 4, Mastercard 51-55 and 2221-2720, American Express 34 and 37; anything else is not accepted. */
export function detectBrand(pan: string): CardBrand | undefined {
  if (pan.startsWith('4')) return 'visa';
  const two = Number(pan.slice(0, 2));
  if (two === 34 || two === 37) return 'amex';
  const four = Number(pan.slice(0, 4));
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return 'mastercard';
  return undefined;
}

const LENGTHS: Record<CardBrand, (length: number) => boolean> = {
  visa: (length) => length === 13 || length === 16 || length === 19,
  mastercard: (length) => length === 16,
  amex: (length) => length === 15,
};

/** The first instant after the card's expiry month, UTC: the card works through the whole month. */
export function cardExpiresAt(expMonth: number, expYear: number): Date {
  return new Date(Date.UTC(expYear, expMonth, 1));
}

/** Checks a card as typed by a cardholder (spaces and dashes allowed); the CVC is checked for shape only. */
export function validateCard(input: CardInput, now: Date): { ok: true; card: ValidCard } | { ok: false; problem: CardProblem } {
  const pan = input.number.replace(/[ -]/g, '');
  if (!/^\d{13,19}$/.test(pan)) {
    return {
      ok: false,
      problem: {
        param: 'card[number]',
        code: 'invalid_number',
        message: 'The card number must be 13 to 19 digits (spaces and dashes are allowed).',
      },
    };
  }
  const brand = detectBrand(pan);
  if (!luhnValid(pan) || !brand || !LENGTHS[brand](pan.length)) {
    return {
      ok: false,
      problem: {
        param: 'card[number]',
        code: 'incorrect_number',
        message: 'The card number is not a valid Visa, Mastercard or American Express number.',
      },
    };
  }
  if (!Number.isInteger(input.expMonth) || input.expMonth < 1 || input.expMonth > 12) {
    return { ok: false, problem: { param: 'card[exp_month]', code: 'invalid_expiry_month', message: 'The expiry month must be 1 to 12.' } };
  }
  const expYear = input.expYear < 100 ? 2000 + input.expYear : input.expYear;
  if (!Number.isInteger(expYear) || expYear < 2000 || expYear > now.getUTCFullYear() + 50) {
    return {
      ok: false,
      problem: { param: 'card[exp_year]', code: 'invalid_expiry_year', message: 'The expiry year must be a year such as 2030 (or 30).' },
    };
  }
  if (cardExpiresAt(input.expMonth, expYear) <= now) {
    const param = expYear < now.getUTCFullYear() ? 'card[exp_year]' : 'card[exp_month]';
    return { ok: false, problem: { param, code: 'expired_card', message: 'The card has expired.' } };
  }
  const cvcLength = brand === 'amex' ? 4 : 3;
  if (!new RegExp(`^\\d{${cvcLength}}$`).test(input.cvc)) {
    return {
      ok: false,
      problem: { param: 'card[cvc]', code: 'invalid_cvc', message: `The security code must be ${cvcLength} digits for this card.` },
    };
  }
  return { ok: true, card: { pan, brand, expMonth: input.expMonth, expYear } };
}
