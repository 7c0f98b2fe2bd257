import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import { GatewayAccountRepository } from '../gateway-accounts/gateway-account-repository';
import type { Merchant } from '../merchants/merchant-record';
import { apiErrors } from '../shared/api-error';
import { GATEWAY_CARD_BRANDS, supportedCurrencies, type CurrencyFacts } from './currency-catalogue';

/** What can take a merchant's payments: a gateway and, for the merchant's own accounts, which one. */
interface Acceptor {
  gateway: keyof typeof GATEWAY_CARD_BRANDS;
  gatewayAccount: string | null;
  /** Empty: every currency we accept. */
  currencies: string[];
}

export interface CurrencyJson {
  object: 'currency';
  code: string;
  numeric_code: string;
  name: string;
  exponent: number;
  /** Whether this merchant can take payments in it now, through one of its enabled gateway accounts (or the test-mode sandbox). */
  available: boolean;
}

export interface PaymentMethodJson {
  object: 'payment_method_type';
  type: 'card';
  brand: string;
  /** The gateways (and the merchant's accounts at them) that take this method in the currency, in routing priority. */
  gateways: { gateway: string; gateway_account: string | null }[];
}

/** The currency and payment-method catalogue, as it stands for one merchant's gateways. */
export class CatalogueService {
  constructor(private readonly deps: { orm: Orm }) {}

  async currencies(merchant: Pick<Merchant, 'id' | 'livemode'>): Promise<CurrencyJson[]> {
    const acceptors = await this.acceptors(merchant);
    return supportedCurrencies().map((currency) => ({ ...render(currency), available: takersOf(acceptors, currency.code).length > 0 }));
  }

  /** @throws 404 resource_missing (code) */
  async currency(merchant: Pick<Merchant, 'id' | 'livemode'>, code: string): Promise<CurrencyJson> {
    const currency = this.find(code);
    return { ...render(currency), available: takersOf(await this.acceptors(merchant), currency.code).length > 0 };
  }

  /**
   * The methods the merchant's gateways accept in a currency: cards by brand today; the shape leaves room for others.
   * @throws 404 resource_missing (code)
   */
  async paymentMethods(merchant: Pick<Merchant, 'id' | 'livemode'>, code: string): Promise<PaymentMethodJson[]> {
    const currency = this.find(code);
    const takers = takersOf(await this.acceptors(merchant), currency.code);
    const brands = [...new Set(takers.flatMap((taker) => GATEWAY_CARD_BRANDS[taker.gateway]))].sort();
    return brands.map((brand) => ({
      object: 'payment_method_type',
      type: 'card',
      brand,
      gateways: takers
        .filter((taker) => GATEWAY_CARD_BRANDS[taker.gateway].includes(brand))
        .map((taker) => ({ gateway: taker.gateway, gateway_account: taker.gatewayAccount })),
    }));
  }

  private find(code: string): CurrencyFacts {
    const currency = supportedCurrencies().find((each) => each.code === code.toUpperCase());
    if (!currency) throw apiErrors.notFound('Currency', 'code');
    return currency;
  }

  /**
   * The merchant's enabled, verified accounts of its mode in priority order, as the router sees them; a test-mode
   * merchant that has never added one pays through the built-in sandbox (one with only disabled accounts does not).
   */
  private async acceptors(merchant: Pick<Merchant, 'id' | 'livemode'>): Promise<Acceptor[]> {
    const repository = new GatewayAccountRepository(sqlFor(this.deps.orm.em.fork()));
    const accounts = await repository.listRoutable(merchant.id, merchant.livemode);
    if (accounts.length > 0)
      return accounts.map((account) => ({ gateway: account.gateway, gatewayAccount: account.id, currencies: account.currencies }));
    if (merchant.livemode || (await repository.hasAny(merchant.id, merchant.livemode))) return [];
    return [{ gateway: 'sandbox', gatewayAccount: null, currencies: [] }];
  }
}

function takersOf(acceptors: Acceptor[], code: string): Acceptor[] {
  return acceptors.filter((acceptor) => acceptor.currencies.length === 0 || acceptor.currencies.includes(code));
}

function render(currency: CurrencyFacts): Omit<CurrencyJson, 'available'> {
  return { object: 'currency', code: currency.code, numeric_code: currency.numericCode, name: currency.name, exponent: currency.exponent };
}
