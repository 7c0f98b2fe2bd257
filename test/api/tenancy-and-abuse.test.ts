import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/merchants/api-keys';
import { eventually, startTestStack, TEST_ADMIN_KEY, type TestStack } from '../support/test-stack';

// `stack` is the usual API; `limited` is a second API process on the same database, with a tiny
// rate limit (1 a second, bursts of 5) and its access log captured: it stands for "another process".
let stack: TestStack;
let limited: TestStack;
const accessLog: string[] = [];

beforeAll(async () => {
  [stack, limited] = await Promise.all([
    startTestStack(),
    startTestStack({
      worker: false,
      env: { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '5', LOG_LEVEL: 'info' },
      logDestination: {
        write: (line) => {
          accessLog.push(line);
        },
      },
    }),
  ]);
});
afterAll(async () => {
  await Promise.all([stack?.close(), limited?.close()]);
});

const sql = (text: string, params: unknown[] = []) => stack.orm.em.getConnection().execute(text, params);
const listPayments = (apiKey: string, on = stack) => on.request('GET', '/v1/payments?limit=1', { apiKey });
const keysOf = async (apiKey: string) => (await stack.request('GET', '/v1/api_keys', { apiKey })).body.data as Record<string, any>[];
const auditEvents = async (apiKey: string, query = '') => (await stack.request('GET', `/v1/audit_events${query}`, { apiKey })).body;

describe('API keys', () => {
  it('when a merchant creates, lists and revokes keys, then the secret is shown once, lists show prefix and last four only, and a revoked key is refused at once in every process', async () => {
    const merchant = await stack.createMerchant('Key lifecycle');
    const created = await stack.request('POST', '/v1/api_keys', { apiKey: merchant.apiKey, body: {} });
    expect(created.status).toBe(201);
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^sk_test_[0-9A-Za-z]{32}$/);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^key_/),
      object: 'api_key',
      prefix: 'sk_test_',
      last4: secret.slice(-4),
      status: 'active',
      revoked_at: null,
      livemode: false,
    });
    expect((await listPayments(secret)).status).toBe(200);

    const listed = await stack.request('GET', '/v1/api_keys', { apiKey: secret });
    expect(listed.status).toBe(200);
    expect(listed.body.data).toHaveLength(2);
    expect(listed.body.data[0].id).toBe(created.body.id);
    const text = JSON.stringify(listed.body);
    for (const key of [secret, merchant.apiKey]) expect(text).not.toContain(key.slice(8));
    for (const key of listed.body.data)
      expect(Object.keys(key).sort()).toEqual([
        'created_at',
        'id',
        'last4',
        'last_used_at',
        'livemode',
        'object',
        'prefix',
        'redacted',
        'revoked_at',
        'status',
      ]);
    const original = listed.body.data[1];
    expect(original).toMatchObject({
      prefix: 'sk_test_',
      last4: merchant.apiKey.slice(-4),
      redacted: `sk_test_...${merchant.apiKey.slice(-4)}`,
    });
    const [stored] = await sql(`select key_hash from api_keys where id = ?`, [created.body.id]);
    expect(stored.key_hash).toBe(hashApiKey(secret));
    await eventually(async () => ((await keysOf(secret))[0].last_used_at ? true : undefined), 5_000);

    // The other process has the original key in its cache before the revocation.
    expect((await listPayments(merchant.apiKey, limited)).status).toBe(200);
    const revoked = await stack.request('DELETE', `/v1/api_keys/${original.id}`, { apiKey: secret });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: original.id, status: 'revoked', revoked_at: expect.any(String) });
    expect((await listPayments(merchant.apiKey)).status).toBe(401);
    // Well within the 5 s cache lifetime: the NOTIFY reached the other process.
    await eventually(async () => ((await listPayments(merchant.apiKey, limited)).status === 401 ? true : undefined), 1_000, 200);
    expect((await listPayments(secret)).status).toBe(200);
  });

  it("when the last active key is revoked, then 409 and it keeps working; another merchant's key is 404", async () => {
    const merchant = await stack.createMerchant('Last key');
    const other = await stack.createMerchant('Other');
    const [only] = await keysOf(merchant.apiKey);
    for (const [method, path] of [
      ['DELETE', `/v1/api_keys/${only.id}`],
      ['POST', `/v1/api_keys/${only.id}/revoke`],
    ] as const) {
      const refused = await stack.request(method, path, { apiKey: merchant.apiKey });
      expect(refused.status, `${method} ${path}`).toBe(409);
      expect(refused.body.code).toBe('last_active_key');
    }
    expect((await listPayments(merchant.apiKey)).status).toBe(200);
    const foreign = await stack.request('DELETE', `/v1/api_keys/${only.id}`, { apiKey: other.apiKey });
    expect(foreign.status).toBe(404);
    expect((await listPayments(merchant.apiKey)).status).toBe(200);
  });

  it('when a key is rotated with a delay, then the old key works until then and not after; with 0 it stops at once', async () => {
    const merchant = await stack.createMerchant('Rotation');
    const before = Date.now();
    const rotated = await stack.request('POST', '/v1/api_keys', { apiKey: merchant.apiKey, body: { expire_current_in_hours: 0.0005 } });
    expect(rotated.status).toBe(201);
    expect(rotated.body.previous_key).toMatchObject({ last4: merchant.apiKey.slice(-4), status: 'expiring' });
    const stopsIn = Date.parse(rotated.body.previous_key.revoked_at) - before;
    expect(stopsIn).toBeGreaterThan(500);
    expect(stopsIn).toBeLessThan(3_000);
    expect((await listPayments(merchant.apiKey)).status).toBe(200);
    await eventually(async () => ((await listPayments(merchant.apiKey)).status === 401 ? true : undefined), 4_000, 200);
    expect(Date.now() - before).toBeGreaterThan(1_000);
    expect((await listPayments(rotated.body.secret)).status).toBe(200);

    const now = await stack.request('POST', '/v1/api_keys', { apiKey: rotated.body.secret, body: { expire_current_in_hours: 0 } });
    expect(now.body.previous_key.status).toBe('revoked');
    expect((await listPayments(rotated.body.secret)).status).toBe(401);
    expect((await listPayments(now.body.secret)).status).toBe(200);

    const bad = await stack.request('POST', '/v1/api_keys', { apiKey: now.body.secret, body: { expire_current_in_hours: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.param).toBe('expire_current_in_hours');
  });
});

describe('live mode', () => {
  it("when a live-mode merchant creates a payment, then 400 livemode_gateway_unavailable and nothing starts; its payments say livemode true, a test merchant's false", async () => {
    const live = await stack.request('POST', '/v1/merchants', { apiKey: TEST_ADMIN_KEY, body: { name: 'Live shop', livemode: true } });
    const liveKey: string = live.body.api_key;
    expect(liveKey).toMatch(/^sk_live_/);
    const refused = await stack.request('POST', '/v1/payments', {
      apiKey: liveKey,
      body: { amount: 10, currency: 'USD', source: 'tok_visa' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('livemode_gateway_unavailable');
    expect(await sql(`select id from payments where merchant_id = ?`, [live.body.id])).toEqual([]);
    // Nor can a live customer be given a sandbox card, whose renewals would charge through the sandbox.
    const customer = await stack.request('POST', '/v1/customers', {
      apiKey: liveKey,
      body: { email: 'live@example.com', source: 'tok_visa' },
    });
    expect(customer.body).toMatchObject({ code: 'livemode_gateway_unavailable' });
    expect(await sql(`select id from customers where merchant_id = ?`, [live.body.id])).toEqual([]);

    // A payment a live gateway would have made, as stored.
    await sql(
      `insert into payments (id, merchant_id, amount_minor, currency, status, capture_method, source, gateway, created_at)
      values ('pay_livemodeexample0000001', ?, 1000, 'USD', 'succeeded', 'automatic', 'tok_visa', 'live_gateway', now())`,
      [live.body.id],
    );
    const fetched = await stack.request('GET', '/v1/payments/pay_livemodeexample0000001', { apiKey: liveKey });
    expect(fetched.body).toMatchObject({ id: 'pay_livemodeexample0000001', livemode: true });
    expect((await stack.request('GET', '/v1/payments', { apiKey: liveKey })).body.data[0].livemode).toBe(true);

    const testMerchant = await stack.createMerchant('Test shop');
    const paid = await stack.request('POST', '/v1/payments', {
      apiKey: testMerchant.apiKey,
      body: { amount: 10, currency: 'USD', source: 'tok_visa' },
    });
    expect(paid.body).toMatchObject({ status: 'succeeded', livemode: false });
    const newLiveKey = await stack.request('POST', '/v1/api_keys', { apiKey: liveKey, body: {} });
    expect(newLiveKey.body).toMatchObject({ prefix: 'sk_live_', livemode: true, secret: expect.stringMatching(/^sk_live_/) });
  });
});

describe('Request-Id', () => {
  const generated = /^req_[0-9A-Za-z]{22}$/;

  it('when a request succeeds, fails or names no route, then the response has a Request-Id, and error bodies repeat it', async () => {
    const ok = await stack.request('GET', '/health');
    expect(ok.headers.get('request-id')).toMatch(generated);
    const unauthorized = await stack.request('GET', '/v1/payments');
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('request-id')).toMatch(generated);
    expect(unauthorized.body.request_id).toBe(unauthorized.headers.get('request-id'));
    const unknown = await stack.request('GET', '/v1/no_such_thing');
    expect(unknown.status).toBe(404);
    expect(unknown.body.request_id).toBe(unknown.headers.get('request-id'));
    expect(unknown.body.request_id).toMatch(generated);
    expect(unknown.body.request_id).not.toBe(unauthorized.body.request_id);
  });

  it('when the client sends a well-formed Request-Id or X-Request-Id, then it is echoed and logged; a malformed one is replaced', async () => {
    const echoed = await limited.request('GET', '/v1/nowhere', { headers: { 'Request-Id': 'client-7f3a.42' } });
    expect(echoed.headers.get('request-id')).toBe('client-7f3a.42');
    expect(echoed.body.request_id).toBe('client-7f3a.42');
    const legacy = await limited.request('GET', '/health', { headers: { 'X-Request-Id': 'from-the-proxy:1' } });
    expect(legacy.headers.get('request-id')).toBe('from-the-proxy:1');
    for (const bad of ['has spaces in it', 'x'.repeat(200), '<script>']) {
      expect((await limited.request('GET', '/health', { headers: { 'Request-Id': bad } })).headers.get('request-id')).toMatch(generated);
    }
    const logged = await eventually(async () => {
      const line = accessLog
        .join('')
        .split('\n')
        .find((entry) => entry.includes('"requestId":"client-7f3a.42"'));
      return line ? JSON.parse(line) : undefined;
    }, 5_000);
    expect(logged).toMatchObject({ msg: 'request', method: 'GET', path: '/v1/nowhere', status: 404 });
  });
});

describe('the audit log', () => {
  it('when a merchant pays, refunds and revokes a key, then each is recorded with who, what and the outcome, never the body, and only the merchant sees it', async () => {
    const merchant = await stack.createMerchant('Audited');
    const stranger = await stack.createMerchant('Stranger');
    const [ownKey] = await keysOf(merchant.apiKey);
    const since = new Date(Date.now() - 1_000).toISOString();

    const payment = await stack.request('POST', '/v1/payments', {
      apiKey: merchant.apiKey,
      headers: { 'Idempotency-Key': 'audit-pay-1' },
      body: {
        amount: 25,
        currency: 'USD',
        source: 'tok_visa',
        description: 'private-description-xyz',
        metadata: { note: 'private-metadata-xyz' },
      },
    });
    expect(payment.status).toBe(201);
    const refund = await stack.request('POST', '/v1/refunds', {
      apiKey: merchant.apiKey,
      headers: { 'Idempotency-Key': 'audit-refund-1' },
      body: { payment_id: payment.body.id, amount: 5 },
    });
    expect(refund.status).toBe(201);
    const declined = await stack.request('POST', '/v1/payments', {
      apiKey: merchant.apiKey,
      body: { amount: 1, currency: 'USD', source: 'tok_nonsense' },
    });
    expect(declined.status).toBe(400);
    const extra = await stack.request('POST', '/v1/api_keys', { apiKey: merchant.apiKey, body: {} });
    const revocation = await stack.request('DELETE', `/v1/api_keys/${extra.body.id}`, { apiKey: merchant.apiKey });
    expect(revocation.status).toBe(200);
    await stack.request('GET', `/v1/payments/${payment.body.id}`, { apiKey: merchant.apiKey });

    const page = await eventually(async () => {
      const body = await auditEvents(merchant.apiKey, '?limit=100');
      return body.data?.length >= 5 ? body : undefined;
    }, 5_000);
    expect(page.data.map((event: any) => event.action)).toEqual([
      'revokeApiKey',
      'createApiKey',
      'createPayment',
      'createRefund',
      'createPayment',
    ]);
    const [revoked, , failedCreate, refunded, paid] = page.data;
    const actor = { type: 'merchant', api_key: { id: ownKey.id, redacted: `sk_test_...${merchant.apiKey.slice(-4)}` } };
    expect(paid).toEqual({
      id: expect.stringMatching(/^aud_/),
      object: 'audit_event',
      action: 'createPayment',
      actor,
      request: {
        id: payment.headers.get('request-id'),
        method: 'POST',
        route: '/v1/payments',
        path: '/v1/payments',
        idempotency_key: 'audit-pay-1',
      },
      object_id: payment.body.id,
      status_code: 201,
      created_at: expect.any(String),
    });
    expect(refunded).toMatchObject({
      actor,
      object_id: refund.body.id,
      status_code: 201,
      request: { route: '/v1/refunds', idempotency_key: 'audit-refund-1', id: refund.headers.get('request-id') },
    });
    expect(failedCreate).toMatchObject({ object_id: null, status_code: 400, request: { idempotency_key: null } });
    expect(revoked).toMatchObject({
      actor,
      object_id: extra.body.id,
      status_code: 200,
      request: { method: 'DELETE', route: '/v1/api_keys/:id', path: `/v1/api_keys/${extra.body.id}` },
    });

    const stored = JSON.stringify(await sql(`select * from audit_events where merchant_id = ?`, [merchant.id]));
    for (const secret of [
      'private-description-xyz',
      'private-metadata-xyz',
      'tok_visa',
      'tok_nonsense',
      extra.body.secret,
      merchant.apiKey,
    ])
      expect(stored).not.toContain(secret);
    const [admin] = await sql(`select actor_type, merchant_id, action, status_code from audit_events where object_id = ?`, [merchant.id]);
    expect(admin).toEqual({ actor_type: 'admin', merchant_id: null, action: 'createMerchant', status_code: 201 });

    const refundsOnly = await auditEvents(merchant.apiKey, '?action=createRefund');
    expect(refundsOnly.data.map((event: any) => event.object_id)).toEqual([refund.body.id]);
    expect(await auditEvents(merchant.apiKey, `?created[gte]=${encodeURIComponent(since)}&limit=2`)).toMatchObject({
      has_more: true,
      data: [{ id: revoked.id }, { id: page.data[1].id }],
    });
    expect((await auditEvents(merchant.apiKey, `?created[gte]=${Math.floor(Date.now() / 1000) + 60}`)).data).toEqual([]);
    expect((await auditEvents(merchant.apiKey, `?starting_after=${page.data[3].id}`)).data.map((event: any) => event.id)).toEqual([
      paid.id,
    ]);

    const strangers = await auditEvents(stranger.apiKey, '?limit=100');
    expect(strangers.data).toEqual([]);
    const peek = await stack.request('GET', `/v1/audit_events?starting_after=${paid.id}`, { apiKey: stranger.apiKey });
    expect(peek.status).toBe(400);
  });

  it('when anyone tries to UPDATE or DELETE an audit row, then the database refuses', async () => {
    const merchant = await stack.createMerchant('Tamper');
    await stack.request('POST', '/v1/api_keys', { apiKey: merchant.apiKey, body: {} });
    const [row] = await eventually(async () => {
      const rows = await sql(`select id from audit_events where merchant_id = ?`, [merchant.id]);
      return rows.length > 0 ? rows : undefined;
    }, 5_000);
    await expect(sql(`update audit_events set status_code = 200 where id = ?`, [row.id])).rejects.toThrow(/append-only/);
    await expect(sql(`delete from audit_events where id = ?`, [row.id])).rejects.toThrow(/append-only/);
    expect(await sql(`select count(*)::int as n from audit_events where id = ?`, [row.id])).toEqual([{ n: 1 }]);
  });

  it('when a list asks for more than 100, then 400 naming limit', async () => {
    const merchant = await stack.createMerchant('Limits');
    for (const path of ['/v1/audit_events?limit=101', '/v1/api_keys?limit=101']) {
      const response = await stack.request('GET', path, { apiKey: merchant.apiKey });
      expect(response.status, path).toBe(400);
      expect(response.body.param).toBe('limit');
    }
  });
});

describe('abuse controls', () => {
  it('when a key exceeds its burst, then 429 rate_limited with Retry-After, while other keys and /health are unaffected', async () => {
    const [noisy, quiet] = await Promise.all([stack.createMerchant('Noisy'), stack.createMerchant('Quiet')]);
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<TestStack['request']>> | undefined;
    for (let i = 0; i < 7; i++) {
      const response = await listPayments(noisy.apiKey, limited);
      statuses.push(response.status);
      if (response.status === 429) refused ??= response;
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(refused?.body).toMatchObject({ code: 'rate_limited', request_id: expect.any(String) });
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await listPayments(quiet.apiKey, limited)).status).toBe(200);
    for (let i = 0; i < 8; i++) expect((await limited.request('GET', '/health')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await listPayments(noisy.apiKey, limited)).status).toBe(200);
  });

  it('when requests with bad keys keep coming from one address, then they are limited too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await listPayments(`sk_test_guess${i}`, limited)).status);
    expect(statuses[0]).toBe(401);
    expect(statuses.at(-1)).toBe(429);
  });

  it('when a body is larger than the limit, then 413 with the request id', async () => {
    const merchant = await stack.createMerchant('Big body');
    const response = await stack.request('POST', '/v1/payments', {
      apiKey: merchant.apiKey,
      body: { amount: 1, currency: 'USD', source: 'tok_visa', description: 'x'.repeat(100_000) },
    });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ code: 'body_too_large', request_id: response.headers.get('request-id') });
  });
});
