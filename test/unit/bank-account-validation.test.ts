import { describe, expect, it } from 'vitest';
import { BANK_ACCOUNT_COUNTRIES, IBAN_COUNTRIES, currenciesFor } from '../../src/bank-accounts/bank-account-countries';
import {
  abaChecksumValid,
  ibanChecksumValid,
  normalizeIban,
  validateBankAccount,
  type BankAccountInput,
} from '../../src/bank-accounts/bank-account-validation';
import { TEST_BANK_ACCOUNT_OUTCOMES, TEST_BANK_ACCOUNTS_PAID, testPayoutOutcome } from '../../src/bank-accounts/test-bank-accounts';

// The SWIFT IBAN Registry's examples, one per country, with the bank code each format carries.
const VALID_IBANS: [iban: string, currency: string, bankCode: string][] = [
  ['AT611904300234573201', 'EUR', '19043'],
  ['BE68539007547034', 'EUR', '539'],
  ['CH9300762011623852957', 'CHF', '00762'],
  ['DE89370400440532013000', 'EUR', '37040044'],
  ['ES9121000418450200051332', 'EUR', '2100'],
  ['FR1420041010050500013M02606', 'EUR', '20041'],
  ['GB29NWBK60161331926819', 'GBP', '601613'],
  ['IE29AIBK93115212345678', 'EUR', '931152'],
  ['IT60X0542811101000000123456', 'EUR', '05428'],
  ['LI21088100002324013AA', 'CHF', '08810'],
  ['MT84MALT011000012345MTLCAST001S', 'EUR', 'MALT'],
  ['NL91ABNA0417164300', 'EUR', 'ABNA'],
  ['NO9386011117947', 'NOK', '8601'],
  ['PL61109010140000071219812874', 'PLN', '10901014'],
  ['SE4550000000058398257466', 'SEK', '500'],
];

const iban = (value: string, currency = 'EUR', country = value.slice(0, 2)): BankAccountInput => ({ country, currency, iban: value });
const us = (accountNumber?: string, routingNumber?: string): BankAccountInput => ({
  country: 'US',
  currency: 'USD',
  accountNumber,
  routingNumber,
});
const problemsOf = (input: BankAccountInput) => {
  const checked = validateBankAccount(input);
  return checked.ok ? [] : checked.problems.map((problem) => `${problem.code} ${problem.param}`);
};

describe('IBANs', () => {
  it.each(VALID_IBANS)(
    'when %s is checked, then it is valid, its bank code is read and only its last 4 are kept apart',
    (value, currency, bankCode) => {
      const checked = validateBankAccount(iban(value, currency));
      expect(checked).toMatchObject({ ok: true, account: { number: value, bankCode, last4: value.slice(-4), routingNumber: null } });
    },
  );

  it('when an IBAN comes with spaces and in lower case, then it is the same account (same number and identity)', () => {
    const spaced = validateBankAccount(iban('de89 3704 0044 0532 0130 00', 'EUR', 'DE'));
    const plain = validateBankAccount(iban('DE89370400440532013000'));
    expect(spaced.ok && plain.ok && spaced.account.identity === plain.account.identity).toBe(true);
    expect(normalizeIban(' gb29 nwbk 6016 1331 9268 19 ')).toBe('GB29NWBK60161331926819');
  });

  it('when one character or the check digits change, then mod 97 refuses it, naming iban', () => {
    expect(ibanChecksumValid('DE89370400440532013000')).toBe(true);
    expect(ibanChecksumValid('DE89370400440532013001')).toBe(false);
    expect(ibanChecksumValid('DE88370400440532013000')).toBe(false);
    expect(problemsOf(iban('DE89370400440532013001'))).toEqual(['parameter_invalid iban']);
  });

  it("when an IBAN's length is wrong for its country, or its prefix is another country, then iban is refused", () => {
    expect(problemsOf(iban('DE8937040044053201300'))).toEqual(['parameter_invalid iban']);
    expect(problemsOf(iban('DE89370400440532013000', 'EUR', 'FR'))).toEqual(['parameter_invalid iban']);
    expect(problemsOf(iban('DE89-3704-0044', 'EUR', 'DE'))).toEqual(['parameter_invalid iban']);
  });

  it('when the message of a refused IBAN is read, then the number is not in it', () => {
    const checked = validateBankAccount(iban('DE89370400440532013001'));
    expect(checked.ok).toBe(false);
    if (!checked.ok) for (const problem of checked.problems) expect(problem.message).not.toContain('0532013001');
  });

  it('the table covers at least 30 IBAN countries, each with a length and a bank code inside it', () => {
    expect(Object.keys(IBAN_COUNTRIES).length).toBeGreaterThanOrEqual(30);
    for (const [country, { length, bankCode }] of Object.entries(IBAN_COUNTRIES)) {
      expect(length, country).toBeGreaterThanOrEqual(15);
      expect(bankCode[1], country).toBeLessThanOrEqual(length - 4);
    }
    expect(BANK_ACCOUNT_COUNTRIES).toContain('US');
  });
});

describe('US accounts', () => {
  it('when routing numbers are checked, then the 3-7-1 weighted sum must end in 0', () => {
    expect(['110000000', '021000021', '011000015'].map(abaChecksumValid)).toEqual([true, true, true]);
    expect(['110000001', '123456789', '11000000', '11000000a'].map(abaChecksumValid)).toEqual([false, false, false, false]);
  });

  it('when the sandbox account is checked, then it is valid, with the routing number as bank code and the test bank name', () => {
    const { accountNumber, routingNumber } = TEST_BANK_ACCOUNTS_PAID.us;
    expect(validateBankAccount(us(accountNumber, routingNumber))).toMatchObject({
      ok: true,
      account: { last4: '6789', routingNumber: '110000000', bankCode: '110000000', bankName: 'STRIPE TEST BANK' },
    });
  });

  it('when each US field is wrong or missing, then each is named, all in one answer', () => {
    expect(problemsOf(us('123', '110000001'))).toEqual(['parameter_invalid account_number', 'parameter_invalid routing_number']);
    expect(problemsOf(us('123456789012345678', '110000000'))).toEqual(['parameter_invalid account_number']);
    expect(problemsOf(us(undefined, undefined))).toEqual(['parameter_missing account_number', 'parameter_missing routing_number']);
    expect(problemsOf({ ...us('000123456789', '110000000'), iban: 'DE89370400440532013000' })).toEqual(['parameter_invalid iban']);
  });

  it('when an IBAN country gets an account number, then account_number and routing_number are refused and iban is missing', () => {
    expect(problemsOf({ country: 'DE', currency: 'EUR', accountNumber: '000123456789', routingNumber: '110000000' })).toEqual([
      'parameter_missing iban',
      'parameter_invalid account_number',
      'parameter_invalid routing_number',
    ]);
  });
});

describe('currencies and countries', () => {
  it('when the currency is not one the country is paid in, then currency is refused, with any other problem beside it', () => {
    expect(problemsOf(iban('DE89370400440532013000', 'USD'))).toEqual(['parameter_invalid currency']);
    expect(problemsOf(iban('GB29NWBK60161331926819', 'CHF'))).toEqual(['parameter_invalid currency']);
    expect(problemsOf({ ...us('000123456789', '110000000'), currency: 'EUR' })).toEqual(['parameter_invalid currency']);
    expect(problemsOf(iban('DE89370400440532013001', 'GBP'))).toEqual(['parameter_invalid currency', 'parameter_invalid iban']);
  });

  it('the currency table: EUR in the euro area, the national currency elsewhere', () => {
    expect(currenciesFor('DE')).toEqual(['EUR']);
    expect(currenciesFor('GB')).toContain('GBP');
    expect(currenciesFor('CH')).toContain('CHF');
    expect(currenciesFor('NO')).toEqual(['NOK']);
    expect(currenciesFor('US')).toEqual(['USD']);
    expect(currenciesFor('JP')).toEqual([]);
  });

  it('when the country is not supported, then country is refused', () => {
    expect(problemsOf({ country: 'JP', currency: 'JPY', accountNumber: '1234567' })).toEqual(['parameter_invalid country']);
  });
});

describe('test bank accounts', () => {
  it("each reserved account is a valid IBAN and a valid US number ending in the row's last 4, and its outcome is read by last 4", () => {
    for (const [last4, row] of Object.entries(TEST_BANK_ACCOUNT_OUTCOMES)) {
      const checkedIban = validateBankAccount(iban(row.iban));
      const checkedUs = validateBankAccount(us(row.usAccount, '110000000'));
      expect(checkedIban.ok && checkedIban.account.last4, row.iban).toBe(last4);
      expect(checkedUs.ok && checkedUs.account.last4, row.usAccount).toBe(last4);
      expect(testPayoutOutcome(last4)).toEqual(row.result);
    }
    expect(testPayoutOutcome('0002')).toEqual({ outcome: 'failed', failureCode: 'account_closed' });
    expect(testPayoutOutcome('0003')).toEqual({ outcome: 'failed', failureCode: 'insufficient_funds' });
    expect(testPayoutOutcome('3000')).toEqual({ outcome: 'paid' });
  });
});
