import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClientException } from '@adyen/api-library';
import { describe, expect, it } from 'vitest';
import { parseAdyenApiBase, rebaseEndpoint } from '../../src/gateways/adyen/adyen-api-base';
import { parseAdyenCredentials } from '../../src/gateways/adyen/adyen-connector';
import { AdyenGateway, adyenIdempotencyKey } from '../../src/gateways/adyen/adyen-gateway';
import {
  ADYEN_DO_NOT_RETRY_ADVICE,
  ADYEN_ERROR_CODE_TABLE,
  ADYEN_HTTP_STATUS_TABLE,
  ADYEN_NETWORK_ERROR_TABLE,
  ADYEN_REFUSAL_REASON_CODES,
  ADYEN_REFUSAL_REASON_TABLE,
  ADYEN_RESULT_CODE_TABLE,
  authorizationStatusOf,
  classifyAdyenError,
  nextActionOf,
  refusalFailureType,
  scrubAdyenText,
  type AdyenOperation,
} from '../../src/gateways/adyen/adyen-mapping';
import { GatewayError } from '../../src/gateways/payment-gateway';
import { isPaymentFailureType, PAYMENT_FAILURES, type PaymentFailureType } from '../../src/shared/failure-types';
import { authorizeResultOf as authorizeResultFor } from '../../src/gateways/authorization-results';

const authorizeResultOf = (status: Parameters<typeof authorizeResultFor>[0]) => authorizeResultFor(status, 'Adyen');

const OPERATIONS: AdyenOperation[] = ['authorize', 'capture', 'void', 'refund', 'cancel', 'lookup', 'verify'];
const SALE = { capture: true, amountMinor: 1000 };
const AUTH = { capture: false, amountMinor: 1000 };

function isSoft(type: PaymentFailureType): boolean {
  const info: { retryable: boolean; retryElsewhere?: boolean } = PAYMENT_FAILURES[type];
  return info.retryable || info.retryElsewhere === true;
}

/** An Adyen error answer as the library's HTTP client turns it into an exception. */
function httpError(status: number, errorCode: string, message = 'refused'): HttpClientException {
  const body = { status, errorCode, message, errorType: status === 401 ? 'security' : 'validation', pspReference: 'ERR1' };
  return new HttpClientException({
    message: `HTTP Exception: ${status}. : ${message}`,
    statusCode: status,
    errorCode,
    responseBody: JSON.stringify(body),
    apiError: body as never,
  });
}

describe('Adyen refusal reasons', () => {
  it('covers every documented reason code, and maps only onto failure types we know', () => {
    for (const reason of Object.values(ADYEN_REFUSAL_REASON_CODES)) expect(ADYEN_REFUSAL_REASON_TABLE[reason]).toBeDefined();
    for (const type of Object.values(ADYEN_REFUSAL_REASON_TABLE)) expect(isPaymentFailureType(type)).toBe(true);
  });

  it.each(Object.entries(ADYEN_REFUSAL_REASON_CODES))(
    'a Refused answer with code %s (%s) is its table type, by code or by text',
    (code, reason) => {
      const type = ADYEN_REFUSAL_REASON_TABLE[reason];
      expect(authorizationStatusOf({ resultCode: 'Refused', pspReference: 'P1', refusalReasonCode: code }, AUTH)).toEqual({
        outcome: 'declined',
        reference: 'P1',
        failureType: type,
      });
      expect(refusalFailureType({ refusalReason: reason })).toBe(type);
      expect(refusalFailureType({ refusalReason: reason.toUpperCase() })).toBe(type);
    },
  );

  it('classes the usual reasons as hard, soft or authentication failures', () => {
    expect(refusalFailureType({ refusalReason: 'Refused' })).toBe('CardDeclined');
    expect(refusalFailureType({ refusalReason: 'Not enough balance' })).toBe('InsufficientFunds');
    expect(refusalFailureType({ refusalReason: 'Expired Card' })).toBe('ExpiredCard');
    expect(refusalFailureType({ refusalReason: 'CVC Declined' })).toBe('IncorrectCvc');
    for (const reason of ['Blocked Card', 'FRAUD', 'FRAUD-CANCELLED', 'Issuer Suspected Fraud', 'Acquirer Fraud', 'Restricted Card'])
      expect(refusalFailureType({ refusalReason: reason })).toBe('LostOrStolenCard');
    for (const reason of ['Acquirer Error', 'Issuer Unavailable', 'Not Submitted', 'RReq not received from DS'])
      expect(isSoft(refusalFailureType({ refusalReason: reason }))).toBe(true);
    expect(refusalFailureType({ refusalReason: '3D Not Authenticated' })).toBe('AuthenticationFailed');
  });

  it('never shows a fraud suspicion: fraud refusals read as a plain decline', () => {
    for (const reason of ['FRAUD', 'Issuer Suspected Fraud', 'Acquirer Fraud']) {
      const info = PAYMENT_FAILURES[refusalFailureType({ refusalReason: reason })];
      expect(info.code).toBe('card_declined');
      expect(info.message).toBe(PAYMENT_FAILURES.CardDeclined.message);
    }
  });

  it('treats an unknown reason as a plain, hard decline; the code wins over the text', () => {
    expect(refusalFailureType({ refusalReason: 'Something new' })).toBe('CardDeclined');
    expect(refusalFailureType({})).toBe('CardDeclined');
    expect(refusalFailureType({ refusalReason: 'Refused', refusalReasonCode: '12' })).toBe('InsufficientFunds');
  });

  it('lets a do-not-retry merchant advice code turn every soft decline hard, and leaves hard ones as they are', () => {
    for (const advice of ADYEN_DO_NOT_RETRY_ADVICE)
      for (const [reason, type] of Object.entries(ADYEN_REFUSAL_REASON_TABLE)) {
        const advised = refusalFailureType({ refusalReason: reason, merchantAdviceCode: `${advice}: Do not try again` });
        expect(advised).toBe(isSoft(type) ? 'CardDeclined' : type);
      }
    expect(refusalFailureType({ refusalReason: 'Issuer Unavailable', merchantAdviceCode: '02: Cannot approve at this time' })).toBe(
      'TryAgainLater',
    );
    const response = {
      resultCode: 'Refused',
      pspReference: 'P1',
      refusalReason: 'Acquirer Error',
      additionalData: { merchantAdviceCode: '03' },
    };
    expect(authorizationStatusOf(response, AUTH)).toMatchObject({ outcome: 'declined', failureType: 'CardDeclined' });
  });
});

describe('Adyen result codes', () => {
  it('maps every listed code, and anything else to pending', () => {
    for (const [code, meaning] of Object.entries(ADYEN_RESULT_CODE_TABLE)) {
      const status = authorizationStatusOf({ resultCode: code, pspReference: 'P1', action: { type: 'threeDS2' } }, AUTH);
      const expected = meaning === 'error' ? 'declined' : meaning;
      expect(status.outcome).toBe(expected);
    }
    for (const code of ['PartiallyAuthorised', 'AuthenticationFinished', 'AuthenticationNotRequired', 'Success', 'SomethingNew', undefined])
      expect(authorizationStatusOf({ resultCode: code, pspReference: 'P1' }, AUTH)).toEqual({ outcome: 'pending', reference: 'P1' });
  });

  it('reads Authorised as authorized, or captured for a sale', () => {
    expect(authorizeResultOf(authorizationStatusOf({ resultCode: 'Authorised', pspReference: 'P1' }, AUTH))).toEqual({
      reference: 'P1',
      capturedMinor: 0,
      status: 'authorized',
    });
    expect(
      authorizeResultOf(authorizationStatusOf({ resultCode: 'Authorised', pspReference: 'P1', amount: { value: 1000 } }, SALE)),
    ).toEqual({
      reference: 'P1',
      capturedMinor: 1000,
      status: 'captured',
    });
  });

  it('never calls a payment without a pspReference authorized', () => {
    expect(authorizationStatusOf({ resultCode: 'Authorised' }, AUTH)).toEqual({ outcome: 'pending', reference: null });
  });

  it('reads the shopper actions as requires_action, with the redirect URL when there is one', () => {
    const redirect = { resultCode: 'RedirectShopper', pspReference: 'P1', action: { type: 'redirect', url: 'https://acs.example/3ds' } };
    expect(authorizeResultOf(authorizationStatusOf(redirect, AUTH))).toEqual({
      reference: 'P1',
      capturedMinor: 0,
      status: 'requires_action',
      nextAction: { type: 'redirect_to_url', url: 'https://acs.example/3ds' },
    });
    expect(nextActionOf({ action: { type: 'threeDS2', url: null } })).toEqual({ type: 'use_gateway_sdk', url: null });
  });

  it('throws declines with our message, and an undecided answer as an unknown outcome', () => {
    const refused = () =>
      authorizeResultOf(authorizationStatusOf({ resultCode: 'Refused', pspReference: 'P1', refusalReasonCode: '12' }, AUTH));
    expect(refused).toThrow(GatewayError);
    expect(refused).toThrow(PAYMENT_FAILURES.InsufficientFunds.message);
    for (const resultCode of ['Pending', 'Received']) {
      try {
        authorizeResultOf(authorizationStatusOf({ resultCode, pspReference: 'P1' }, AUTH));
        expect.unreachable();
      } catch (error) {
        expect((error as GatewayError).failureType).toBe('GatewayOutcomeUnknown');
      }
    }
  });

  it('reads Error as a decline by its reason when known, else as a misconfiguration for ops', () => {
    expect(authorizationStatusOf({ resultCode: 'Error', pspReference: 'P1', refusalReason: 'Acquirer Error' }, AUTH)).toMatchObject({
      outcome: 'declined',
      failureType: 'ProcessingError',
    });
    expect(authorizationStatusOf({ resultCode: 'Error', pspReference: 'P1', refusalReason: 'Unable to process' }, AUTH)).toMatchObject({
      outcome: 'declined',
      failureType: 'GatewayMisconfigured',
    });
  });
});

describe('Adyen errors', () => {
  it.each(Object.entries(ADYEN_HTTP_STATUS_TABLE))('HTTP %s means %s for every operation', (status, meaning) => {
    for (const operation of OPERATIONS) {
      const outcome = classifyAdyenError(httpError(Number(status), '999'), operation);
      if (meaning === 'unknown') expect(outcome.kind).toBe('unknown');
      else expect(outcome).toMatchObject({ kind: 'failed', failureType: meaning });
    }
  });

  it.each(Object.entries(ADYEN_ERROR_CODE_TABLE))('errorCode %s of a 422 means %s', (code, meaning) => {
    const outcome = classifyAdyenError(httpError(422, code), 'authorize');
    if (meaning === 'unknown') expect(outcome.kind).toBe('unknown');
    else expect(outcome).toMatchObject({ kind: 'failed', failureType: meaning });
  });

  it('reads unlisted statuses by class: 4xx our fault, 5xx unknown', () => {
    expect(classifyAdyenError(httpError(409, '999'), 'capture')).toMatchObject({ failureType: 'GatewayMisconfigured' });
    expect(classifyAdyenError(httpError(599, '999'), 'capture').kind).toBe('unknown');
  });

  it.each(Object.keys(ADYEN_NETWORK_ERROR_TABLE))('a connection error %s (never sent) is GatewayUnavailable', (code) => {
    // The library's ApiException for a socket error: no HTTP answer, status 500 by default.
    const error = { name: 'ApiException', message: `connect ${code} 127.0.0.1:8089`, statusCode: 500 };
    expect(classifyAdyenError(error, 'authorize')).toMatchObject({ kind: 'failed', failureType: 'GatewayUnavailable' });
  });

  it('reads a dropped connection or a timeout as an unknown outcome', () => {
    expect(classifyAdyenError({ name: 'ApiException', message: 'socket hang up', statusCode: 500 }, 'authorize').kind).toBe('unknown');
    expect(classifyAdyenError(new Error('The connection was terminated while the message was still being sent'), 'refund').kind).toBe(
      'unknown',
    );
  });

  it('reads the library\'s plain "errors" answer as our request being wrong', () => {
    expect(classifyAdyenError(new Error('{"errors":[{"message":"bad"}]}'), 'authorize')).toMatchObject({
      failureType: 'GatewayMisconfigured',
    });
  });

  it('keeps the API key and card numbers out of every message', () => {
    const error = httpError(401, '000', 'Key AQEabcdefKEY12345 rejected for 4111 1111 1111 1111');
    const { message } = classifyAdyenError(error, 'authorize', ['AQEabcdefKEY12345']);
    expect(message).not.toContain('AQEabcdefKEY12345');
    expect(message).not.toMatch(/4111 1111/);
    expect(scrubAdyenText('card 4111111111111111 ok')).toBe('card [number removed] ok');
  });
});

describe('Adyen idempotency keys', () => {
  it('passes keys of up to 64 characters unchanged', () => {
    expect(adyenIdempotencyKey('pay_abc:authorize')).toBe('pay_abc:authorize');
    expect(adyenIdempotencyKey('k'.repeat(64))).toBe('k'.repeat(64));
  });

  it('replaces a longer key by a stable digest within the limit, different keys staying different', () => {
    const long = `re_${'x'.repeat(70)}:refund`;
    const derived = adyenIdempotencyKey(long);
    expect(derived.length).toBeLessThanOrEqual(64);
    expect(adyenIdempotencyKey(long)).toBe(derived);
    expect(adyenIdempotencyKey(`${long}2`)).not.toBe(derived);
  });
});

describe('Adyen credentials and API base', () => {
  const valid = { api_key: 'AQEtestkey1234567890', merchant_account: 'LedgerflowECOM', hmac_key: 'ab'.repeat(32) };

  it("accepts test credentials and shows only the key's last 4", () => {
    const parsed = parseAdyenCredentials(valid, false);
    expect(parsed).toMatchObject({ ok: true, last4: '7890' });
  });

  it('names every missing key at once, live_url_prefix for live merchants', () => {
    expect(parseAdyenCredentials({}, false)).toMatchObject({ ok: false, missing: ['api_key', 'merchant_account', 'hmac_key'] });
    expect(parseAdyenCredentials({ ...valid }, true)).toMatchObject({ ok: false, missing: ['live_url_prefix'] });
    expect(parseAdyenCredentials({ ...valid, live_url_prefix: '1797a841fbb37ca7-AdyenDemo' }, true)).toMatchObject({ ok: true });
  });

  it('refuses a non-hex HMAC key and unknown keys, without repeating values', () => {
    const parsed = parseAdyenCredentials({ ...valid, hmac_key: 'not-hex-secret', secret_key: 'sk_test_x' }, false);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map((problem) => problem.param).sort()).toEqual(['credentials.hmac_key', 'credentials.secret_key']);
    expect(JSON.stringify(parsed)).not.toContain('not-hex-secret');
  });

  it("parses ADYEN_API_BASE as a bare origin and keeps the library's paths under it", () => {
    expect(parseAdyenApiBase(undefined)).toBeUndefined();
    const base = parseAdyenApiBase('http://127.0.0.1:8089');
    expect(base).toEqual({ origin: 'http://127.0.0.1:8089' });
    expect(rebaseEndpoint('https://checkout-test.adyen.com/v72/payments/P1/captures', base!)).toBe(
      'http://127.0.0.1:8089/v72/payments/P1/captures',
    );
    expect(() => parseAdyenApiBase('http://127.0.0.1:8089/v72')).toThrow(/bare origin/);
    expect(() => parseAdyenApiBase('ftp://x')).toThrow(/http or https/);
    expect(() => parseAdyenApiBase('http://user:pw@host')).toThrow(/value not shown/);
  });
});

describe('the requests the library sends through the adapter', () => {
  const CARD = { number: '4111111111111111', expMonth: 3, expYear: 2030 };
  const SOURCE = `tok_${'a'.repeat(22)}`;

  /** A local server answering every request with `answer`, recording what arrived. */
  async function withServer(answer: (url: string) => { status: number; body: object }, run: (origin: string) => Promise<void>) {
    const seen: { url: string; headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(body || '{}') as Record<string, unknown> });
        const reply = answer(req.url ?? '');
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    return seen;
  }

  const gateway = (origin: string) =>
    new AdyenGateway({
      apiKey: 'AQEtestkey1234567890',
      merchantAccount: 'LedgerflowECOM',
      livemode: false,
      apiBase: { origin },
      openCard: () => Promise.resolve(CARD),
    });

  it('authorizes at POST /v72/payments with the key, our idempotency key and a scheme card, manual capture', async () => {
    const seen = await withServer(
      () => ({ status: 200, body: { resultCode: 'Authorised', pspReference: 'PSP1', amount: { value: 1000, currency: 'EUR' } } }),
      async (origin) => {
        const result = await gateway(origin).authorize({
          idempotencyKey: 'pay_1:authorize',
          paymentId: 'pay_1',
          amountMinor: 1000,
          currency: 'eur',
          source: SOURCE,
          capture: false,
          merchantId: 'mer_1',
        });
        expect(result).toEqual({ reference: 'PSP1', capturedMinor: 0, status: 'authorized' });
      },
    );
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe('/v72/payments');
    expect(seen[0].headers['x-api-key']).toBe('AQEtestkey1234567890');
    expect(seen[0].headers['idempotency-key']).toBe('pay_1:authorize');
    expect(seen[0].body).toMatchObject({
      merchantAccount: 'LedgerflowECOM',
      reference: 'pay_1',
      amount: { value: 1000, currency: 'EUR' },
      paymentMethod: { type: 'scheme', number: CARD.number, expiryMonth: '03', expiryYear: '2030' },
      additionalData: { manualCapture: 'true' },
    });
  });

  it("sends capture, cancel, refund and the technical cancel to the library's paths, answering received", async () => {
    const seen = await withServer(
      (url) => ({ status: 201, body: { pspReference: `MOD_${url.split('/').pop()}`, paymentPspReference: 'PSP1', status: 'received' } }),
      async (origin) => {
        const adyen = gateway(origin);
        const money = { reference: 'PSP1', amountMinor: 500, currency: 'eur' };
        expect(await adyen.capture({ ...money, idempotencyKey: 'pay_1:capture' })).toMatchObject({
          modificationReference: 'MOD_captures',
          status: 'received',
        });
        expect(await adyen.void({ ...money, idempotencyKey: 'pay_1:void' })).toMatchObject({ modificationReference: 'MOD_cancels' });
        expect(await adyen.refund({ ...money, idempotencyKey: `re_1:${'r'.repeat(70)}` })).toEqual({
          reference: 'MOD_refunds',
          status: 'pending',
        });
        expect(await adyen.cancelUnknownAuthorization({ idempotencyKey: 'pay_1:technical_cancel', paymentId: 'pay_1' })).toMatchObject({
          status: 'received',
        });
      },
    );
    expect(seen.map((request) => request.url)).toEqual([
      '/v72/payments/PSP1/captures',
      '/v72/payments/PSP1/cancels',
      '/v72/payments/PSP1/refunds',
      '/v72/cancels',
    ]);
    expect(seen.every((request) => String(request.headers['idempotency-key']).length <= 64)).toBe(true);
    expect(seen[3].body).toMatchObject({ merchantAccount: 'LedgerflowECOM', paymentReference: 'pay_1' });
  });

  it('reads a refusal from the body and keeps the card number out of the error', async () => {
    await withServer(
      () => ({
        status: 200,
        body: { resultCode: 'Refused', pspReference: 'PSP2', refusalReason: 'Not enough balance', refusalReasonCode: '12' },
      }),
      async (origin) => {
        const error = await gateway(origin)
          .authorize({
            idempotencyKey: 'k',
            paymentId: 'pay_2',
            amountMinor: 1,
            currency: 'EUR',
            source: SOURCE,
            capture: false,
            merchantId: 'm',
          })
          .catch((caught: unknown) => caught as GatewayError);
        expect(error).toBeInstanceOf(GatewayError);
        expect((error as GatewayError).failureType).toBe('InsufficientFunds');
        expect((error as GatewayError).message).not.toContain(CARD.number);
      },
    );
  });

  it('reads a refused connection as GatewayUnavailable (nothing was sent)', async () => {
    const error = await gateway('http://127.0.0.1:1')
      .authorize({
        idempotencyKey: 'k',
        paymentId: 'pay_3',
        amountMinor: 1,
        currency: 'EUR',
        source: SOURCE,
        capture: false,
        merchantId: 'm',
      })
      .catch((caught: unknown) => caught as GatewayError);
    expect((error as GatewayError).failureType).toBe('GatewayUnavailable');
  });
});
