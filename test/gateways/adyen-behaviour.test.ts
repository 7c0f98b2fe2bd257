import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdyenGateway } from '../../src/gateways/adyen/adyen-gateway';
import { parseAdyenApiBase } from '../../src/gateways/adyen/adyen-api-base';
import { ADYEN_TEST_CARDS, startAdyenFake, type AdyenFake } from '../../src/gateways/adyen/adyen-fake';
import { GatewayError, type AuthorizeRequest } from '../../src/gateways/payment-gateway';
import { newId } from '../../src/shared/ids';

// The real Adyen adapter (the library's own CheckoutAPI) over HTTP against our fake of Adyen's Checkout API.
const KEY = 'AQE_behaviour_test_key_0001';
const MERCHANT = 'LedgerflowBehaviourECOM';
const HMAC = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
const CARDS: Record<string, string> = {
  tok_adyenVisa000000000000: ADYEN_TEST_CARDS.visa,
  tok_adyenThreeDs000000000: '4000000000000002',
};

let fake: AdyenFake;
let gateway: AdyenGateway;

beforeAll(async () => {
  fake = await startAdyenFake({ autoSendNotifications: false });
  fake.addAccount({ apiKey: KEY, merchantAccount: MERCHANT, hmacKey: HMAC });
  gateway = adapter(KEY);
});
afterAll(async () => fake?.stop());

function adapter(apiKey: string): AdyenGateway {
  return new AdyenGateway({
    apiKey,
    merchantAccount: MERCHANT,
    livemode: false,
    apiBase: parseAdyenApiBase(fake.url),
    openCard: async (_merchant, token) => (CARDS[token] ? { number: CARDS[token], expMonth: 3, expYear: 2030 } : undefined),
    isVaultToken: (source) => source in CARDS,
  });
}

function authorization(source: string, overrides: Partial<AuthorizeRequest> = {}): AuthorizeRequest {
  const paymentId = newId('pay');
  return {
    idempotencyKey: `${paymentId}:authorize`,
    paymentId,
    merchantId: 'mer_behaviour',
    amountMinor: 1000,
    currency: 'EUR',
    source,
    capture: false,
    returnUrl: 'https://shop.example/return',
    ...overrides,
  };
}

const failureOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error.failureType;
    throw error;
  }
  throw new Error('expected a GatewayError');
};

describe('Adyen adapter against the Adyen fake', () => {
  it('when a card is authorised, then capture and refund are accepted as received, settled later by their notifications', async () => {
    const request = authorization('tok_adyenVisa000000000000');
    const authorized = await gateway.authorize(request);
    expect(authorized).toMatchObject({ capturedMinor: 0 });
    expect(fake.payments({ merchantReference: request.paymentId })).toHaveLength(1);
    const capture = await gateway.capture({
      idempotencyKey: `${request.paymentId}:capture`,
      reference: authorized.reference,
      amountMinor: 600,
      currency: 'EUR',
    });
    expect(capture).toMatchObject({ reference: authorized.reference, status: 'received' });
    const refund = await gateway.refund({
      idempotencyKey: 're_adyenBehaviour:refund',
      reference: authorized.reference,
      amountMinor: 200,
      currency: 'EUR',
    });
    expect(refund).toMatchObject({ status: 'pending' });
  });

  it('when the card needs 3-D Secure, then the authorization requires action with the page to send the customer to', async () => {
    const result = await gateway.authorize(authorization('tok_adyenThreeDs000000000'));
    expect(result).toMatchObject({
      status: 'requires_action',
      nextAction: { type: 'redirect_to_url', url: expect.stringMatching(/^http/) },
    });
  });

  it("when Adyen's answer is lost after it authorised, then the outcome is unknown, and the same key replays the first answer", async () => {
    const request = authorization('tok_adyenVisa000000000000');
    fake.injectFault({ operation: 'payments', kind: 'lose_answer_after_commit', times: 1 });
    expect(await failureOf(gateway.authorize(request))).toBe('GatewayOutcomeUnknown');
    const again = await gateway.authorize(request);
    expect(again.reference).toMatch(/\w+/);
    expect(fake.payments({ merchantReference: request.paymentId })).toHaveLength(1);
  });

  it('when Adyen rate-limits or the key is unknown, then the call is GatewayRateLimited or GatewayMisconfigured', async () => {
    fake.injectFault({ operation: 'payments', kind: 'rate_limit', times: 1 });
    expect(await failureOf(gateway.authorize(authorization('tok_adyenVisa000000000000')))).toBe('GatewayRateLimited');
    expect(await failureOf(adapter('AQE_unknown_key').authorize(authorization('tok_adyenVisa000000000000')))).toBe('GatewayMisconfigured');
  });
});
