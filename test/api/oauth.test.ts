import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/merchants/api-keys';
import { eventually, startTestStack, type TestStack } from '../support/test-stack';

// `stack` is the usual API; `second` is another API process on the same database, for revocations seen everywhere.
let stack: TestStack;
let second: TestStack;
let merchant: { id: string; apiKey: string };

beforeAll(async () => {
  [stack, second] = await Promise.all([startTestStack(), startTestStack({ worker: false })]);
  merchant = await stack.createMerchant('OAuth merchant');
});
afterAll(async () => {
  await Promise.all([stack?.close(), second?.close()]);
});

interface Client {
  id: string;
  client_id: string;
  client_secret: string;
  scopes: string[];
}

const sql = (text: string, params: unknown[] = []) => stack.orm.em.getConnection().execute(text, params);

async function createClient(scopes: string[], extra: Record<string, unknown> = {}): Promise<Client> {
  const created = await stack.request('POST', '/v1/oauth/clients', { apiKey: merchant.apiKey, body: { scopes, ...extra } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

type Auth = { basic: Client | [string, string] } | { form: Client } | { none: true };

/** A token-endpoint request as an OAuth client library sends it: form-encoded unless `json`. */
async function post(path: string, fields: Record<string, string>, auth: Auth, json = false, on = stack) {
  const headers: Record<string, string> = { 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded' };
  const body = { ...fields };
  if ('basic' in auth) {
    const [id, secret] = Array.isArray(auth.basic) ? auth.basic : [auth.basic.client_id, auth.basic.client_secret];
    headers.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  }
  if ('form' in auth) Object.assign(body, { client_id: auth.form.client_id, client_secret: auth.form.client_secret });
  const response = await fetch(`${on.baseUrl}${path}`, {
    method: 'POST',
    headers,
    body: json ? JSON.stringify(body) : new URLSearchParams(body).toString(),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

const token = (fields: Record<string, string>, auth: Auth, json = false) => post('/v1/oauth/token', fields, auth, json);
const revoke = (fields: Record<string, string>, auth: Auth, on = stack) => post('/v1/oauth/revoke', fields, auth, false, on);
const payments = (bearer: string, on = stack) => on.request('GET', '/v1/payments?limit=1', { apiKey: bearer });

function expectNoStore(response: { headers: Headers }) {
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('pragma')).toBe('no-cache');
}

function expectRfcError(response: { status: number; body: Record<string, any>; headers: Headers }, status: number, error: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body).toMatchObject({ error, error_description: expect.stringMatching(/\S/) });
  expectNoStore(response);
}

describe('OAuth clients', () => {
  it('when a client is created, listed and rotated, then its secret is shown once, stored hashed, and two secrets work during a rotation', async () => {
    const client = await createClient(['payments:read'], { name: 'Bookkeeping' });
    expect(client).toMatchObject({
      id: expect.stringMatching(/^oc_/),
      client_id: expect.stringMatching(/^lfci_/),
      scopes: ['payments:read'],
    });
    expect(client.client_secret).toMatch(/^lfcs_[0-9A-Za-z]{40}$/);
    const listed = await stack.request('GET', '/v1/oauth/clients', { apiKey: merchant.apiKey });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(client.client_secret.slice(5));
    expect(listed.body.data.find((row: { id: string }) => row.id === client.id).secrets).toHaveLength(1);
    const [stored] = await sql(`select secret_hash from oauth_client_secrets where oauth_client_id = ?`, [client.id]);
    expect(stored.secret_hash).toBe(hashApiKey(client.client_secret));

    const rotated = await stack.request('POST', `/v1/oauth/clients/${client.id}/rotate_secret`, {
      apiKey: merchant.apiKey,
      body: { expire_current_in_hours: 1 },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secrets).toHaveLength(2);
    const renewed = { ...client, client_secret: rotated.body.client_secret as string };
    for (const during of [client, renewed]) expect((await token({ grant_type: 'client_credentials' }, { basic: during })).status).toBe(200);

    const cut = await stack.request('POST', `/v1/oauth/clients/${client.id}/rotate_secret`, {
      apiKey: merchant.apiKey,
      body: { expire_current_in_hours: 0 },
    });
    expect(cut.body.secrets).toHaveLength(1);
    expectRfcError(await token({ grant_type: 'client_credentials' }, { basic: renewed }), 401, 'invalid_client');
    expect(
      (await token({ grant_type: 'client_credentials' }, { basic: { ...client, client_secret: cut.body.client_secret } })).status,
    ).toBe(200);
  });

  it('when another merchant names the client, then it is not found, and a bad scope is refused naming the field', async () => {
    const client = await createClient(['payments:read']);
    const other = await stack.createMerchant('Other merchant');
    const rotate = await stack.request('POST', `/v1/oauth/clients/${client.id}/rotate_secret`, { apiKey: other.apiKey, body: {} });
    expect(rotate.status).toBe(404);
    const bad = await stack.request('POST', '/v1/oauth/clients', { apiKey: merchant.apiKey, body: { scopes: ['payments:everything'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.param).toMatch(/^scopes/);
  });
});

describe('the token endpoint', () => {
  it('when client_credentials is asked with Basic, form or JSON client authentication, then an access and refresh pair is issued, never cached', async () => {
    const client = await createClient(['payments:read', 'refunds:write']);
    for (const [auth, json] of [
      [{ basic: client }, false],
      [{ form: client }, false],
      [{ form: client }, true],
    ] as const) {
      const issued = await token({ grant_type: 'client_credentials' }, auth, json);
      expect(issued.status, JSON.stringify(issued.body)).toBe(200);
      expectNoStore(issued);
      expect(issued.body).toEqual({
        access_token: expect.stringMatching(/^lfat_/),
        token_type: 'Bearer',
        expires_in: 900,
        scope: 'payments:read refunds:write',
        refresh_token: expect.stringMatching(/^lfrt_/),
      });
    }
    const narrowed = await token({ grant_type: 'client_credentials', scope: 'payments:read' }, { basic: client });
    expect(narrowed.body.scope).toBe('payments:read');
  });

  it('when each RFC 6749 error is provoked, then it answers its code in the RFC shape with no-store', async () => {
    const client = await createClient(['payments:read']);
    const noRefresh = await createClient(['payments:read'], { grant_types: ['client_credentials'] });
    expectRfcError(await token({}, { basic: client }), 400, 'invalid_request');
    expectRfcError(
      await token({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: 'x' }, { basic: client }),
      400,
      'invalid_request',
    );
    expectRfcError(await token({ grant_type: 'refresh_token' }, { basic: client }), 400, 'invalid_request');

    const wrongBasic = await token({ grant_type: 'client_credentials' }, { basic: [client.client_id, 'lfcs_wrong'] });
    expectRfcError(wrongBasic, 401, 'invalid_client');
    expect(wrongBasic.headers.get('www-authenticate')).toMatch(/^Basic /);
    const wrongForm = await token({ grant_type: 'client_credentials' }, { form: { ...client, client_secret: 'lfcs_wrong' } });
    expectRfcError(wrongForm, 401, 'invalid_client');
    expect(wrongForm.headers.get('www-authenticate')).toBeNull();
    expectRfcError(await token({ grant_type: 'client_credentials' }, { none: true }), 401, 'invalid_client');

    expectRfcError(await token({ grant_type: 'refresh_token', refresh_token: 'lfrt_unknown' }, { basic: client }), 400, 'invalid_grant');
    expectRfcError(await token({ grant_type: 'password', username: 'a', password: 'b' }, { basic: client }), 400, 'unsupported_grant_type');
    expectRfcError(await token({ grant_type: 'refresh_token', refresh_token: 'lfrt_x' }, { basic: noRefresh }), 400, 'unauthorized_client');
    expect((await token({ grant_type: 'client_credentials' }, { basic: noRefresh })).body.refresh_token).toBeUndefined();
    expectRfcError(await token({ grant_type: 'client_credentials', scope: 'payouts:write' }, { basic: client }), 400, 'invalid_scope');
    expectRfcError(await token({ grant_type: 'client_credentials', scope: 'admin' }, { basic: client }), 400, 'invalid_scope');
  });

  it('when a refresh token is used, then it is rotated; when an old one is reused, then every token of the grant is revoked', async () => {
    const client = await createClient(['payments:read']);
    const first = await token({ grant_type: 'client_credentials' }, { basic: client });
    const second = await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, { form: client });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expectNoStore(second);
    expect(second.body.refresh_token).toMatch(/^lfrt_/);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect((await payments(second.body.access_token)).status).toBe(200);

    // Another client cannot use this grant's refresh token.
    const stranger = await createClient(['payments:read']);
    expectRfcError(
      await token({ grant_type: 'refresh_token', refresh_token: second.body.refresh_token }, { basic: stranger }),
      400,
      'invalid_grant',
    );

    const reuse = await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, { basic: client });
    expectRfcError(reuse, 400, 'invalid_grant');
    expectRfcError(
      await token({ grant_type: 'refresh_token', refresh_token: second.body.refresh_token }, { basic: client }),
      400,
      'invalid_grant',
    );
    for (const access of [first.body.access_token, second.body.access_token]) expect((await payments(access)).status).toBe(401);
    // Another grant of the same client is untouched.
    const fresh = await token({ grant_type: 'client_credentials' }, { basic: client });
    expect((await payments(fresh.body.access_token)).status).toBe(200);
  });
});

describe('access tokens on the API', () => {
  it('when a token calls a route, then its scopes decide: GET /v1/payments works, a route outside them or for keys only answers 403 insufficient_scope', async () => {
    const client = await createClient(['payments:read']);
    const issued = await token({ grant_type: 'client_credentials' }, { basic: client });
    const access = issued.body.access_token as string;
    const listed = await payments(access);
    expect(listed.status).toBe(200);
    expect(listed.body.object).toBe('list');

    const refund = await stack.request('POST', '/v1/refunds', { apiKey: access, body: { payment_id: 'pay_x', amount: 1 } });
    expect(refund.status).toBe(403);
    expect(refund.body).toMatchObject({ code: 'insufficient_scope', error: expect.stringContaining('refunds:write') });
    const keys = await stack.request('GET', '/v1/api_keys', { apiKey: access });
    expect(keys.status).toBe(403);
    expect(keys.body.code).toBe('insufficient_scope');
    // Secret keys keep full access.
    expect((await stack.request('GET', '/v1/api_keys', { apiKey: merchant.apiKey })).status).toBe(200);
    expect((await payments('lfat_' + 'x'.repeat(40))).status).toBe(401);
  });

  it('when a token holds payouts:write but not payouts:read, then it may make and cancel payouts but not list them', async () => {
    const client = await createClient(['payouts:write']);
    const access = (await token({ grant_type: 'client_credentials' }, { basic: client })).body.access_token as string;
    // No bank account: the payout is refused for that, past the scope check, so the scope let it through.
    const made = await stack.request('POST', '/v1/payouts', { apiKey: access, body: { amount: 1, currency: 'EUR' } });
    expect(made.status).toBe(400);
    expect(made.body).toMatchObject({ code: 'bank_account_missing', param: 'bank_account' });
    const canceled = await stack.request('POST', '/v1/payouts/po_unknown/cancel', { apiKey: access, body: {} });
    expect(canceled.status).toBe(404);
    const listed = await stack.request('GET', '/v1/payouts', { apiKey: access });
    expect(listed.status).toBe(403);
    expect(listed.body).toMatchObject({ code: 'insufficient_scope', error: expect.stringContaining('payouts:read') });
  });

  it('when a token with webhooks:write manages webhook endpoints, then it works and the audit log names its client', async () => {
    const client = await createClient(['webhooks:write']);
    const access = (await token({ grant_type: 'client_credentials' }, { basic: client })).body.access_token as string;
    const created = await stack.request('POST', '/v1/webhook_endpoints', {
      apiKey: access,
      body: { url: 'http://127.0.0.1:9/oauth-hook', enabled_events: ['payment.requires_review'] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await payments(access)).status).toBe(403);
    const audited = await eventually(async () => {
      const [row] = await sql(`select actor_type, api_key_id, api_key_prefix from audit_events where object_id = ?`, [created.body.id]);
      return row as Record<string, string> | undefined;
    }, 5_000);
    expect(audited).toEqual({ actor_type: 'merchant', api_key_id: client.id, api_key_prefix: 'lfat_' });
  });

  it('when tokens are issued, then the database holds only their hashes', async () => {
    const client = await createClient(['payments:read']);
    const issued = await token({ grant_type: 'client_credentials' }, { basic: client });
    const [access] = await sql(`select token_hash from oauth_access_tokens where token_hash = ?`, [hashApiKey(issued.body.access_token)]);
    const [refresh] = await sql(`select token_hash from oauth_refresh_tokens where token_hash = ?`, [
      hashApiKey(issued.body.refresh_token),
    ]);
    expect(access).toBeDefined();
    expect(refresh).toBeDefined();
    for (const table of ['oauth_clients', 'oauth_client_secrets', 'oauth_access_tokens', 'oauth_refresh_tokens']) {
      const rows = JSON.stringify(await sql(`select * from ${table}`));
      for (const secret of [issued.body.access_token, issued.body.refresh_token, client.client_secret])
        expect(rows).not.toContain(secret.slice(5));
    }
  });
});

describe('revocation (RFC 7009)', () => {
  it('when an access token is revoked, then it stops working at once in another API process that had it cached', async () => {
    const client = await createClient(['payments:read']);
    const access = (await token({ grant_type: 'client_credentials' }, { basic: client })).body.access_token as string;
    expect((await payments(access, second)).status).toBe(200);
    expect((await payments(access, second)).status).toBe(200);

    const revoked = await revoke({ token: access, token_type_hint: 'access_token' }, { basic: client });
    expect(revoked.status).toBe(200);
    expectNoStore(revoked);
    expect((await payments(access)).status).toBe(401);
    // Well inside the 5 s cache lifetime: only the NOTIFY can have cleared the other process's cache.
    await eventually(async () => ((await payments(access, second)).status === 401 ? true : undefined), 1_000, 20);
  });

  it('when a refresh token is revoked, then its family is revoked everywhere; an unknown token answers 200; bad clients are refused', async () => {
    const client = await createClient(['payments:read']);
    const issued = await token({ grant_type: 'client_credentials' }, { basic: client });
    expect((await payments(issued.body.access_token)).status).toBe(200);
    // Revoked through the second process: the first, which had the token cached, must hear of it.
    expect((await revoke({ token: issued.body.refresh_token }, { form: client }, second)).status).toBe(200);
    await eventually(async () => ((await payments(issued.body.access_token)).status === 401 ? true : undefined), 1_000, 20);
    expect((await payments(issued.body.access_token, second)).status).toBe(401);
    expectRfcError(
      await token({ grant_type: 'refresh_token', refresh_token: issued.body.refresh_token }, { basic: client }),
      400,
      'invalid_grant',
    );

    expect((await revoke({ token: 'lfat_never_issued' }, { basic: client })).status).toBe(200);
    expectRfcError(await revoke({ token: 'lfat_never_issued' }, { basic: [client.client_id, 'wrong'] }), 401, 'invalid_client');
    expectRfcError(await revoke({}, { basic: client }), 400, 'invalid_request');
  });

  it('when a client is deleted, then its tokens stop working in every process', async () => {
    const client = await createClient(['payments:read']);
    const access = (await token({ grant_type: 'client_credentials' }, { basic: client })).body.access_token as string;
    expect((await payments(access, second)).status).toBe(200);
    const deleted = await stack.request('DELETE', `/v1/oauth/clients/${client.id}`, { apiKey: merchant.apiKey });
    expect(deleted.status).toBe(200);
    await eventually(async () => ((await payments(access, second)).status === 401 ? true : undefined), 1_000, 20);
    expectRfcError(await token({ grant_type: 'client_credentials' }, { basic: client }), 401, 'invalid_client');
  });
});
