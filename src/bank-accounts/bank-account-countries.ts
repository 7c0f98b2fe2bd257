/**
 * The countries bank accounts can be added in: each IBAN country's IBAN length and where its bank code
 * sits in the BBAN (the part after the country and check digits), and the currencies an account there
 * may be paid in. Lengths and positions are the SWIFT IBAN Registry's. Pure data: the payout adapter
 * may read it too.
 */
export interface IbanCountry {
  /** The whole IBAN's length, country prefix and check digits included. */
  length: number;
  /** The bank code's [start, end) in the BBAN, e.g. DE's 8-digit Bankleitzahl at [0, 8). */
  bankCode: [start: number, end: number];
  currencies: readonly string[];
}

const EURO = ['EUR'] as const;

export const IBAN_COUNTRIES: Readonly<Record<string, IbanCountry>> = {
  AT: { length: 20, bankCode: [0, 5], currencies: EURO },
  BE: { length: 16, bankCode: [0, 3], currencies: EURO },
  // Bulgaria adopted the euro on 1 January 2026.
  BG: { length: 22, bankCode: [0, 4], currencies: EURO },
  CH: { length: 21, bankCode: [0, 5], currencies: ['CHF', 'EUR'] },
  CY: { length: 28, bankCode: [0, 3], currencies: EURO },
  CZ: { length: 24, bankCode: [0, 4], currencies: ['CZK', 'EUR'] },
  DE: { length: 22, bankCode: [0, 8], currencies: EURO },
  DK: { length: 18, bankCode: [0, 4], currencies: ['DKK', 'EUR'] },
  EE: { length: 20, bankCode: [0, 2], currencies: EURO },
  ES: { length: 24, bankCode: [0, 4], currencies: EURO },
  FI: { length: 18, bankCode: [0, 3], currencies: EURO },
  FR: { length: 27, bankCode: [0, 5], currencies: EURO },
  // GB and IE: the sort code after the 4-letter bank identifier is what the banks route by.
  GB: { length: 22, bankCode: [4, 10], currencies: ['GBP', 'EUR'] },
  GR: { length: 27, bankCode: [0, 3], currencies: EURO },
  HR: { length: 21, bankCode: [0, 7], currencies: EURO },
  HU: { length: 28, bankCode: [0, 3], currencies: ['HUF', 'EUR'] },
  IE: { length: 22, bankCode: [4, 10], currencies: EURO },
  IS: { length: 26, bankCode: [0, 4], currencies: ['ISK'] },
  // IT and SM: the ABI after the one-letter CIN.
  IT: { length: 27, bankCode: [1, 6], currencies: EURO },
  LI: { length: 21, bankCode: [0, 5], currencies: ['CHF', 'EUR'] },
  LT: { length: 20, bankCode: [0, 5], currencies: EURO },
  LU: { length: 20, bankCode: [0, 3], currencies: EURO },
  LV: { length: 21, bankCode: [0, 4], currencies: EURO },
  MC: { length: 27, bankCode: [0, 5], currencies: EURO },
  MT: { length: 31, bankCode: [0, 4], currencies: EURO },
  NL: { length: 18, bankCode: [0, 4], currencies: EURO },
  NO: { length: 15, bankCode: [0, 4], currencies: ['NOK'] },
  PL: { length: 28, bankCode: [0, 8], currencies: ['PLN', 'EUR'] },
  PT: { length: 25, bankCode: [0, 4], currencies: EURO },
  RO: { length: 24, bankCode: [0, 4], currencies: ['RON', 'EUR'] },
  SE: { length: 24, bankCode: [0, 3], currencies: ['SEK', 'EUR'] },
  SI: { length: 19, bankCode: [0, 5], currencies: EURO },
  SK: { length: 24, bankCode: [0, 4], currencies: EURO },
  SM: { length: 27, bankCode: [1, 6], currencies: EURO },
};

/** Countries whose accounts are an account number and an ABA routing number, with their currencies. */
export const ROUTING_NUMBER_COUNTRIES: Readonly<Record<string, { currencies: readonly string[] }>> = {
  US: { currencies: ['USD'] },
};

/** Every country a bank account can be added in, sorted. */
export const BANK_ACCOUNT_COUNTRIES: readonly string[] = [...Object.keys(IBAN_COUNTRIES), ...Object.keys(ROUTING_NUMBER_COUNTRIES)].sort();

/** The currencies an account in `country` may be paid in; empty for a country we do not take. */
export function currenciesFor(country: string): readonly string[] {
  return IBAN_COUNTRIES[country]?.currencies ?? ROUTING_NUMBER_COUNTRIES[country]?.currencies ?? [];
}

/**
 * Bank names we can show, by country and bank code. Deliberately short: a name is shown only when
 * known for certain, and the sandbox's documented accounts are among them.
 */
export const KNOWN_BANKS: Readonly<Record<string, string>> = {
  'DE:37040044': 'Commerzbank',
  'DE:10010010': 'Postbank',
  'NL:ABNA': 'ABN AMRO',
  'NL:INGB': 'ING Bank',
  'GB:601613': 'NatWest',
  'US:110000000': 'STRIPE TEST BANK',
};

export function bankNameFor(country: string, bankCode: string): string | null {
  return KNOWN_BANKS[`${country}:${bankCode}`] ?? null;
}
