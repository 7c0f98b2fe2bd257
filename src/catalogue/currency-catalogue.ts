import type { GATEWAY_NAMES } from '../gateways/gateway-connector';
import { CURRENCY_EXPONENTS } from '../shared/money';

/** ISO 4217 facts for the currencies we accept: the numeric code (as card networks carry it) and the English name. */
const ISO_4217: Readonly<Record<string, { numeric: string; name: string }>> = Object.freeze({
  USD: { numeric: '840', name: 'US Dollar' },
  EUR: { numeric: '978', name: 'Euro' },
  GBP: { numeric: '826', name: 'Pound Sterling' },
  CHF: { numeric: '756', name: 'Swiss Franc' },
  CAD: { numeric: '124', name: 'Canadian Dollar' },
  AUD: { numeric: '036', name: 'Australian Dollar' },
  NZD: { numeric: '554', name: 'New Zealand Dollar' },
  SEK: { numeric: '752', name: 'Swedish Krona' },
  NOK: { numeric: '578', name: 'Norwegian Krone' },
  DKK: { numeric: '208', name: 'Danish Krone' },
  PLN: { numeric: '985', name: 'Zloty' },
  CZK: { numeric: '203', name: 'Czech Koruna' },
  HUF: { numeric: '348', name: 'Forint' },
  INR: { numeric: '356', name: 'Indian Rupee' },
  SGD: { numeric: '702', name: 'Singapore Dollar' },
  HKD: { numeric: '344', name: 'Hong Kong Dollar' },
  MXN: { numeric: '484', name: 'Mexican Peso' },
  BRL: { numeric: '986', name: 'Brazilian Real' },
  ZAR: { numeric: '710', name: 'Rand' },
  CNY: { numeric: '156', name: 'Yuan Renminbi' },
  ILS: { numeric: '376', name: 'New Israeli Sheqel' },
  AED: { numeric: '784', name: 'UAE Dirham' },
  JPY: { numeric: '392', name: 'Yen' },
  KRW: { numeric: '410', name: 'Won' },
  VND: { numeric: '704', name: 'Dong' },
  CLP: { numeric: '152', name: 'Chilean Peso' },
  ISK: { numeric: '352', name: 'Iceland Krona' },
  KWD: { numeric: '414', name: 'Kuwaiti Dinar' },
  BHD: { numeric: '048', name: 'Bahraini Dinar' },
  OMR: { numeric: '512', name: 'Rial Omani' },
  JOD: { numeric: '400', name: 'Jordanian Dinar' },
  TND: { numeric: '788', name: 'Tunisian Dinar' },
});

export interface CurrencyFacts {
  code: string;
  numericCode: string;
  name: string;
  /** Digits after the decimal point: 2 for USD, 0 for JPY, 3 for KWD. */
  exponent: number;
}

/** Every currency we accept, in ISO code order. */
export function supportedCurrencies(): CurrencyFacts[] {
  return Object.keys(CURRENCY_EXPONENTS)
    .sort()
    .map((code) => ({ code, numericCode: ISO_4217[code].numeric, name: ISO_4217[code].name, exponent: CURRENCY_EXPONENTS[code] }));
}

/** The card brands each connector charges through our vault and its test sources (visa, mastercard, amex today). */
export const GATEWAY_CARD_BRANDS: Readonly<Record<(typeof GATEWAY_NAMES)[number], readonly string[]>> = Object.freeze({
  sandbox: ['visa', 'mastercard', 'amex'],
  stripe: ['visa', 'mastercard', 'amex'],
  adyen: ['visa', 'mastercard', 'amex'],
});
