import { bankNameFor, currenciesFor, IBAN_COUNTRIES, ROUTING_NUMBER_COUNTRIES } from './bank-account-countries';

/** What a merchant sends to add a bank account, before any check. */
export interface BankAccountInput {
  country: string;
  currency: string;
  iban?: string;
  accountNumber?: string;
  routingNumber?: string;
}

/** One refused field: `param` is the request field, as the API names it. */
export interface BankAccountProblem {
  param: 'iban' | 'account_number' | 'routing_number' | 'currency' | 'country';
  code: 'parameter_invalid' | 'parameter_missing';
  message: string;
}

/** A checked account: the number to seal, and what may be shown of it. */
export interface CheckedBankAccount {
  country: string;
  currency: string;
  /** The secret part, normalized: the IBAN, or the US account number. Sealed, never stored or shown in clear. */
  number: string;
  routingNumber: string | null;
  bankCode: string | null;
  bankName: string | null;
  last4: string;
  /** What the fingerprint is taken of: the same account always gives the same text, whatever spacing or case it came in. */
  identity: string;
}

export type BankAccountCheck = { ok: true; account: CheckedBankAccount } | { ok: false; problems: BankAccountProblem[] };

/** An IBAN with spaces removed and upper-cased, as banks print it in groups of four. */
export function normalizeIban(raw: string): string {
  return raw.replace(/\s+/g, '').toUpperCase();
}

/** ISO 13616's check: the IBAN rotated (first four characters to the end), letters as 10..35, mod 97 is 1. */
export function ibanChecksumValid(iban: string): boolean {
  const rotated = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const character of rotated) {
    const value = parseInt(character, 36);
    if (Number.isNaN(value)) return false;
    // Digit by digit (a letter is two), so no number grows past what a double holds exactly.
    for (const digit of String(value)) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

/** The ABA routing number check: weights 3, 7, 1 repeated over the nine digits, sum divisible by 10. */
export function abaChecksumValid(routingNumber: string): boolean {
  if (!/^\d{9}$/.test(routingNumber)) return false;
  const weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  const sum = [...routingNumber].reduce((total, digit, index) => total + Number(digit) * weights[index], 0);
  return sum % 10 === 0;
}

function ibanProblems(iban: string, country: string): BankAccountProblem[] {
  const invalid = (message: string): BankAccountProblem[] => [{ param: 'iban', code: 'parameter_invalid', message }];
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return invalid('The IBAN must be two letters, two check digits, then letters and digits');
  if (iban.slice(0, 2) !== country) return invalid(`The IBAN's country (${iban.slice(0, 2)}) is not the account's country (${country})`);
  const expected = IBAN_COUNTRIES[country].length;
  if (iban.length !== expected) return invalid(`An IBAN of ${country} has ${expected} characters, not ${iban.length}`);
  if (!ibanChecksumValid(iban)) return invalid('The IBAN check digits do not match: check it for a typing error');
  return [];
}

function routingProblems(input: BankAccountInput): BankAccountProblem[] {
  const problems: BankAccountProblem[] = [];
  if (input.accountNumber === undefined)
    problems.push({ param: 'account_number', code: 'parameter_missing', message: 'A US account needs account_number' });
  else if (!/^\d{4,17}$/.test(input.accountNumber))
    problems.push({ param: 'account_number', code: 'parameter_invalid', message: 'A US account number has 4 to 17 digits' });
  if (input.routingNumber === undefined)
    problems.push({ param: 'routing_number', code: 'parameter_missing', message: 'A US account needs routing_number' });
  else if (!abaChecksumValid(input.routingNumber))
    problems.push({
      param: 'routing_number',
      code: 'parameter_invalid',
      message: 'The routing number is not 9 digits passing the ABA check',
    });
  return problems;
}

/** Which form of account the country takes, and that the other form is not sent. */
function formProblems(input: BankAccountInput, usesIban: boolean): BankAccountProblem[] {
  if (usesIban) {
    const problems: BankAccountProblem[] = [];
    if (input.iban === undefined)
      problems.push({ param: 'iban', code: 'parameter_missing', message: `An account in ${input.country} needs iban` });
    if (input.accountNumber !== undefined)
      problems.push({
        param: 'account_number',
        code: 'parameter_invalid',
        message: `An account in ${input.country} is given by iban alone`,
      });
    if (input.routingNumber !== undefined)
      problems.push({
        param: 'routing_number',
        code: 'parameter_invalid',
        message: `An account in ${input.country} is given by iban alone`,
      });
    return problems;
  }
  if (input.iban !== undefined)
    return [
      {
        param: 'iban',
        code: 'parameter_invalid',
        message: `An account in ${input.country} takes account_number and routing_number, not iban`,
      },
    ];
  return [];
}

/**
 * Checks a bank account completely, every field, before anything is stored: the problems come back
 * together, each naming its field. Never puts the number itself in a message.
 */
export function validateBankAccount(input: BankAccountInput): BankAccountCheck {
  const country = input.country.toUpperCase();
  const currency = input.currency.toUpperCase();
  const usesIban = country in IBAN_COUNTRIES;
  if (!usesIban && !(country in ROUTING_NUMBER_COUNTRIES))
    return {
      ok: false,
      problems: [{ param: 'country', code: 'parameter_invalid', message: `Bank accounts in ${country} are not supported` }],
    };
  const problems = formProblems({ ...input, country }, usesIban);
  const allowed = currenciesFor(country);
  if (!allowed.includes(currency))
    problems.push({
      param: 'currency',
      code: 'parameter_invalid',
      message: `An account in ${country} is paid in ${allowed.join(' or ')}, not ${currency}`,
    });
  const iban = input.iban === undefined ? undefined : normalizeIban(input.iban);
  if (usesIban && iban !== undefined && !problems.some((problem) => problem.param === 'iban'))
    problems.push(...ibanProblems(iban, country));
  if (!usesIban && input.iban === undefined) problems.push(...routingProblems(input));
  if (problems.length > 0) return { ok: false, problems };

  if (usesIban) {
    const checkedIban = iban as string;
    const [start, end] = IBAN_COUNTRIES[country].bankCode;
    const bankCode = checkedIban.slice(4 + start, 4 + end);
    return {
      ok: true,
      account: {
        country,
        currency,
        number: checkedIban,
        routingNumber: null,
        bankCode,
        bankName: bankNameFor(country, bankCode),
        last4: checkedIban.slice(-4),
        identity: `iban:${checkedIban}`,
      },
    };
  }
  const accountNumber = input.accountNumber as string;
  const routingNumber = input.routingNumber as string;
  return {
    ok: true,
    account: {
      country,
      currency,
      number: accountNumber,
      routingNumber,
      bankCode: routingNumber,
      bankName: bankNameFor(country, routingNumber),
      last4: accountNumber.slice(-4),
      // Leading zeros are part of a US account number (000123456789 is not 123456789), so it is kept as sent.
      identity: `aba:${country}:${routingNumber}:${accountNumber}`,
    },
  };
}
