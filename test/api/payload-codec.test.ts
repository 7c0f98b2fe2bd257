import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { codecAccessToken } from '../../src/api/codec-router';
import { loadConfig } from '../../src/config';
import { AesGcmPayloadCodec, PayloadDecryptionError } from '../../src/temporal/payload-codec';
import { parsePayloadKeys } from '../../src/temporal/payload-keys';
import { TEST_ADMIN_KEY, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';

const text = (bytes?: Uint8Array | null) => Buffer.from(bytes ?? []).toString('utf8');
const jsonPayload = (value: unknown): Payload => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(JSON.stringify(value)),
});
const key = (id: string) => ({ id, key: randomBytes(32) });
const decodeError = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as PayloadDecryptionError,
  );

describe('the payload codec (unit)', () => {
  it('when a payload is encoded, then it is encrypted under the first key and decodes to the original', async () => {
    const codec = new AesGcmPayloadCodec([key('k2'), key('k1')]);
    const original = jsonPayload({ source: 'tok_visa', amountMinor: 12_345 });
    const [encoded] = await codec.encode([original]);
    expect(text(encoded.metadata?.encoding)).toBe('binary/encrypted');
    expect(text(encoded.metadata?.['encryption-key-id'])).toBe('k2');
    expect(text(encoded.data)).not.toContain('tok_visa');
    const [decoded] = await codec.decode([encoded]);
    expect(text(decoded.data)).toBe(text(original.data));
    expect(text(decoded.metadata?.encoding)).toBe('json/plain');
  });

  it('when keys rotate, then payloads of the old key still decode, new ones use the new key, and an unknown key id is a clear error', async () => {
    const old = key('2026-01');
    const fresh = key('2026-07');
    const [byOld] = await new AesGcmPayloadCodec([old]).encode([jsonPayload('secret')]);
    const rotated = new AesGcmPayloadCodec([fresh, old]);
    expect(text((await rotated.decode([byOld]))[0].data)).toBe('"secret"');
    const [byNew] = await rotated.encode([jsonPayload('secret')]);
    expect(text(byNew.metadata?.['encryption-key-id'])).toBe('2026-07');

    const error = await decodeError(new AesGcmPayloadCodec([fresh]).decode([byOld]));
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect(error?.code).toBe('payload_key_unknown');
    expect(error?.message).toContain('"2026-01"');
  });

  it('when the ciphertext or its key id is tampered with, then decoding fails instead of returning altered data', async () => {
    const a = key('a');
    const b = { id: 'b', key: a.key };
    const codec = new AesGcmPayloadCodec([a, b]);
    const [encoded] = await codec.encode([jsonPayload({ amountMinor: 100 })]);
    const flipped = Buffer.from(encoded.data as Uint8Array);
    flipped[20] ^= 1;
    expect((await decodeError(codec.decode([{ ...encoded, data: flipped }])))?.code).toBe('payload_decryption_failed');
    // Same key bytes under another id: the id is authenticated too.
    const relabelled = { ...encoded, metadata: { ...encoded.metadata, 'encryption-key-id': Buffer.from('b') } };
    expect((await decodeError(codec.decode([relabelled])))?.code).toBe('payload_decryption_failed');
  });

  it('when a payload was never encrypted (histories from before), then decoding passes it through unchanged', async () => {
    const plain = jsonPayload({ paymentId: 'pay_old' });
    expect(await new AesGcmPayloadCodec([key('k')]).decode([plain])).toEqual([plain]);
  });

  it('when TEMPORAL_PAYLOAD_KEYS is malformed or missing in production, then configuration fails naming it', () => {
    expect(() => parsePayloadKeys(`k1:${randomBytes(31).toString('base64')}`)).toThrow(/32 bytes/);
    expect(() => parsePayloadKeys(`k1:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`)).toThrow(/twice/);
    expect(() => parsePayloadKeys('no-separator')).toThrow(/TEMPORAL_PAYLOAD_KEYS/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/TEMPORAL_PAYLOAD_KEYS is required in production/);
    expect(
      loadConfig({ NODE_ENV: 'production', TEMPORAL_PAYLOAD_KEYS: `p1:${randomBytes(32).toString('base64')}` }).temporal.payloadKeys[0].id,
    ).toBe('p1');
  });
});

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started));

type JsonPayload = { metadata: Record<string, string>; data: string };
const toJson = (payload: temporal.api.common.v1.IPayload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([name, value]) => [name, Buffer.from(value).toString('base64')]),
  ),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});
const codecPost = (path: string, body: unknown, headers: Record<string, string> = {}) => stack.request('POST', path, { body, headers });
const historyBytes = (history: temporal.api.history.v1.IHistory) =>
  Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');

describe('encrypted histories and the codec endpoint (real stack)', () => {
  it('when a payment runs, then its history holds only ciphertext, and /codec/decode with the admin key gives back the request', async () => {
    const payment = (
      await stack.request('POST', '/v1/payments', {
        apiKey: merchant.apiKey,
        body: { amount: 123.45, currency: 'EUR', source: 'tok_mastercard', description: 'Order 98765' },
      })
    ).body;
    expect(payment.status).toBe('succeeded');
    const history = await stack.client.workflow.getHandle(`payment-${payment.id}`).fetchHistory();
    // Search attributes (AmountMinor, Currency, ...) stay in clear by design, so ops can filter on them; payloads do not.
    const raw = historyBytes(history);
    for (const clear of ['tok_mastercard', 'Order 98765', '"currency"', '123.45']) expect(raw).not.toContain(clear);

    const input = history.events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    expect(input).toHaveLength(1);
    const inputBytes = Buffer.from(temporal.api.common.v1.Payload.encode(input[0]).finish()).toString('latin1');
    for (const clear of ['tok_', '12345', payment.id, 'EUR']) expect(inputBytes).not.toContain(clear);
    expect(text(input[0].metadata?.encoding)).toBe('binary/encrypted');
    expect(text(input[0].metadata?.['encryption-key-id'])).toBe('test-1');

    const decoded = await codecPost(
      '/codec/decode',
      { payloads: input.map(toJson) },
      { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'x-namespace': 'default' },
    );
    expect(decoded.status).toBe(200);
    expect(decoded.body.payloads).toHaveLength(1);
    expect(Buffer.from(decoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
    const workflowInput = JSON.parse(Buffer.from(decoded.body.payloads[0].data, 'base64').toString());
    expect(workflowInput).toMatchObject({
      paymentId: payment.id,
      merchantId: merchant.id,
      amountMinor: 12_345,
      currency: 'EUR',
      source: 'tok_mastercard',
      description: 'Order 98765',
    });

    // The codec token the embedded UI carries in its endpoint URL works too; a wrong one does not.
    const viaToken = await codecPost(`/codec/${codecAccessToken(TEST_ADMIN_KEY)}/decode`, { payloads: input.map(toJson) });
    expect(viaToken.status).toBe(200);
    expect(viaToken.body).toEqual(decoded.body);
    expect((await codecPost(`/codec/${codecAccessToken('another key')}/decode`, { payloads: input.map(toJson) })).status).toBe(401);
  });

  it('when a card is declined, then the failure message and stack are encrypted in the history too', async () => {
    const payment = (
      await stack.request('POST', '/v1/payments', {
        apiKey: merchant.apiKey,
        body: { amount: 10, currency: 'USD', source: 'tok_chargeDeclined' },
      })
    ).body;
    expect(payment).toMatchObject({ status: 'failed', failure_code: 'card_declined' });
    const history = await stack.client.workflow.getHandle(`payment-${payment.id}`).fetchHistory();
    const failures = (history.events ?? []).map((event) => event.activityTaskFailedEventAttributes?.failure).filter((failure) => failure);
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure?.message).toBe('Encoded failure');
      expect(failure?.stackTrace).toBe('');
      expect(text(failure?.encodedAttributes?.metadata?.encoding)).toBe('binary/encrypted');
    }
    const raw = historyBytes(history);
    expect(raw).not.toContain('Your card was declined');
    expect(raw).not.toContain('tok_chargeDeclined');

    const decoded = await codecPost(
      '/codec/decode',
      { payloads: [toJson(failures[0]!.encodedAttributes!)] },
      { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    );
    expect(JSON.parse(Buffer.from(decoded.body.payloads[0].data, 'base64').toString()).message).toBe('Your card was declined.');
  });

  it('when /codec/encode is called, then its output decodes back to the input', async () => {
    const plain = toJson(jsonPayload({ reason: 'requested_by_customer' }));
    const encoded = await codecPost('/codec/encode', { payloads: [plain] }, { authorization: `Bearer ${TEST_ADMIN_KEY}` });
    expect(encoded.status).toBe(200);
    expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    const decoded = await codecPost('/codec/decode', encoded.body, { authorization: `Bearer ${TEST_ADMIN_KEY}` });
    expect(decoded.body).toEqual({ payloads: [plain] });
  });

  it('when the caller has no key, a merchant key or a wrong key, then the codec answers 401', async () => {
    const body = { payloads: [toJson(jsonPayload(1))] };
    expect((await codecPost('/codec/decode', body)).status).toBe(401);
    expect((await codecPost('/codec/decode', body, { authorization: `Bearer ${merchant.apiKey}` })).status).toBe(401);
    const wrong = await codecPost('/codec/encode', body, { authorization: 'Bearer sk_admin_wrong' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('unauthorized');
  });

  it('when payloads are malformed or of an unknown key, then the answer is a 400 naming the payload', async () => {
    const auth = { authorization: `Bearer ${TEST_ADMIN_KEY}` };
    const missing = await codecPost('/codec/decode', {}, auth);
    expect(missing.status).toBe(400);
    expect(missing.body.param).toBe('payloads');
    const notBase64 = await codecPost('/codec/decode', { payloads: [{ metadata: {}, data: 'not base64!' }] }, auth);
    expect(notBase64.status).toBe(400);
    expect(notBase64.body.param).toBe('payloads[0][data]');
    const [foreign] = await new AesGcmPayloadCodec([key('elsewhere')]).encode([jsonPayload(1)]);
    const unknown = await codecPost('/codec/decode', { payloads: [toJson(jsonPayload(0)), toJson(foreign)] }, auth);
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'payload_key_unknown', param: 'payloads[1]' });
  });

  it('when the Temporal UI sends a CORS preflight, then its origin and headers are allowed, and other origins are not', async () => {
    const preflight = (origin: string) =>
      stack.request('OPTIONS', '/codec/decode', {
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace,authorization',
        },
      });
    for (const origin of ['http://localhost:8233', 'http://127.0.0.1:8233']) {
      const answer = await preflight(origin);
      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
      expect(answer.headers.get('access-control-allow-methods')).toContain('POST');
      const allowed = (answer.headers.get('access-control-allow-headers') ?? '').split(/,\s*/);
      expect(allowed).toEqual(expect.arrayContaining(['x-namespace', 'authorization', 'content-type']));
    }
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();

    // The actual request carries the header as well, even when it is refused, so the UI can show why.
    const refused = await stack.request('POST', '/codec/decode', { body: { payloads: [] }, headers: { origin: 'http://localhost:8233' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
  });

  it('when the OpenAPI document is read, then the codec endpoints are not in it (they are ops, not merchant API)', async () => {
    const document = (await stack.request('GET', '/openapi.json')).body;
    expect(Object.keys(document.paths).some((path) => path.includes('codec'))).toBe(false);
  });
});
