import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { CURRENCY_EXPONENTS } from '../../src/shared/money';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started));

const get = (owner: TestMerchant, path: string) => stack.request('GET', path, { apiKey: owner.apiKey });

describe('the currency and payment-method catalogue', () => {
  it('when a test-mode merchant has no gateway account, then every currency is available and cards of each brand go to the sandbox', async () => {
    const list = (await get(merchant, '/v1/currencies')).body;
    expect(list.data.map((currency: { code: string }) => currency.code)).toEqual(Object.keys(CURRENCY_EXPONENTS).sort());
    expect(list.data.every((currency: { available: boolean }) => currency.available)).toBe(true);
    expect(list.data.find((currency: { code: string }) => currency.code === 'JPY')).toEqual({
      object: 'currency',
      code: 'JPY',
      numeric_code: '392',
      name: 'Yen',
      exponent: 0,
      available: true,
    });
    expect((await get(merchant, '/v1/currencies/kwd')).body).toMatchObject({ code: 'KWD', numeric_code: '414', exponent: 3 });
    const methods = (await get(merchant, '/v1/currencies/eur/payment_methods')).body.data;
    expect(methods.map((method: { brand: string }) => method.brand)).toEqual(['amex', 'mastercard', 'visa']);
    expect(methods[0]).toEqual({
      object: 'payment_method_type',
      type: 'card',
      brand: 'amex',
      gateways: [{ gateway: 'sandbox', gateway_account: null }],
    });
  });

  it('when the only account takes EUR, then USD is unavailable with no methods and a USD payment is refused naming the currency', async () => {
    const own = await stack.createMerchant('EUR only');
    const account = await stack.request('POST', '/v1/gateway_accounts', {
      apiKey: own.apiKey,
      body: { gateway: 'sandbox', currencies: ['EUR'], description: 'Euro account' },
    });
    expect(account.status).toBe(201);
    const byCode = Object.fromEntries(
      (await get(own, '/v1/currencies')).body.data.map((currency: { code: string; available: boolean }) => [
        currency.code,
        currency.available,
      ]),
    );
    expect(byCode).toMatchObject({ EUR: true, USD: false, JPY: false });
    expect((await get(own, '/v1/currencies/usd/payment_methods')).body.data).toEqual([]);
    expect((await get(own, '/v1/currencies/EUR/payment_methods')).body.data[0].gateways).toEqual([
      { gateway: 'sandbox', gateway_account: account.body.id },
    ]);
    const refused = await stack.request('POST', '/v1/payments', {
      apiKey: own.apiKey,
      body: { amount: 10, currency: 'USD', source: 'tok_visa' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'no_gateway_account', param: 'currency' });
    const none = await stack.orm.em.getConnection().execute(`select 1 from payments where merchant_id = ?`, [own.id]);
    expect(none).toHaveLength(0);
  });

  it('when a live-mode merchant has no live account, then nothing is available', async () => {
    const live = await stack.request('POST', '/v1/merchants', { apiKey: TEST_ADMIN_KEY, body: { name: 'Live catalogue', livemode: true } });
    const owner = { id: live.body.id, apiKey: live.body.api_key };
    const list = (await get(owner, '/v1/currencies')).body.data;
    expect(list.some((currency: { available: boolean }) => currency.available)).toBe(false);
    expect((await get(owner, '/v1/currencies/usd/payment_methods')).body.data).toEqual([]);
  });

  it('when the code is not a currency we accept, then 404 names the code', async () => {
    for (const code of ['XXX', 'usdx', 'btc']) {
      const response = await get(merchant, `/v1/currencies/${code}/payment_methods`);
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ code: 'resource_missing', param: 'code' });
    }
  });
});
