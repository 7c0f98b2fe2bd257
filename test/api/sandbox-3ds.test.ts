import { describe, expect, it } from 'vitest';
import { SandboxGateway } from '../../src/gateways/sandbox/sandbox-gateway';
import { randomBase62 } from '../../src/shared/ids';
import { capturePayment, createPayment, getPayment, waitForPayment, type Payment } from '../support/api-calls';
import { expectLedgerBalanced } from '../support/ledger';
import { startTestStack, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started));

const RETURN_URL = 'https://shop.example/return?order=42';
const CHALLENGE_URL = /^http:\/\/127\.0\.0\.1:\d+\/sandbox\/3ds\/[A-Za-z0-9_-]{43}$/;

interface Page {
  status: number;
  headers: Headers;
  html: string;
}

const pathOf = (payment: Payment): string => new URL(payment.next_action?.redirect_to_url?.url as string).pathname;

// What a browser asks for: refusals come as pages to it, and as the API's JSON errors to other clients.
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

async function getPage(on: TestStack, path: string, accept = BROWSER_ACCEPT): Promise<Page> {
  const response = await fetch(`${on.baseUrl}${path}`, { headers: { accept } });
  return { status: response.status, headers: response.headers, html: await response.text() };
}

async function postForm(
  on: TestStack,
  path: string,
  fields: Record<string, string>,
  { contentType = 'application/x-www-form-urlencoded', accept = BROWSER_ACCEPT } = {},
): Promise<Page> {
  const response = await fetch(`${on.baseUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': contentType, accept },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, headers: response.headers, html: await response.text() };
}

function csrfOf(html: string): string {
  const match = /<input type="hidden" name="csrf_token" value="([A-Za-z0-9_-]{43})">/.exec(html);
  if (!match) throw new Error(`no CSRF field in ${html}`);
  return match[1];
}

/** Opens the challenge page as the customer's browser would and answers it. */
async function answer(on: TestStack, payment: Payment, result: 'complete' | 'fail'): Promise<Page> {
  const path = pathOf(payment);
  return postForm(on, path, { csrf_token: csrfOf((await getPage(on, path)).html), result });
}

async function sandboxRow(on: TestStack, reference: string) {
  const [row] = await on.orm.em
    .getConnection()
    .execute(`select outcome, attempts, challenge_decided_at from sandbox_gateway_operations where id = ?`, [reference]);
  return row as { outcome: string; attempts: number; challenge_decided_at: Date | null };
}

const challenged = (
  on: TestStack,
  caller: TestMerchant,
  options: { amount?: number; capture?: boolean; returnUrl?: string | null; source?: string } = {},
) =>
  createPayment(on, caller, {
    amount: options.amount ?? 12.34,
    source: options.source ?? 'tok_threeDSecure2Required',
    capture: options.capture ?? false,
    ...(options.returnUrl === null ? {} : { return_url: options.returnUrl ?? RETURN_URL }),
    expectStatus: 'requires_action',
  });

describe('sandbox 3-D Secure', () => {
  it('when a challenge card is paid with a return_url, then requires_action names the challenge page, which shows merchant and amount behind security headers', async () => {
    const shop = await stack.createMerchant('Mugs & <Co>');
    const payment = await challenged(stack, shop);
    expect(payment.next_action).toMatchObject({ type: 'redirect_to_url', redirect_to_url: { url: expect.stringMatching(CHALLENGE_URL) } });
    expect(payment.amount_received).toBe(0);

    const page = await getPage(stack, pathOf(payment));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.html).toContain('Mugs &amp; &lt;Co&gt;');
    expect(page.html).not.toContain('<Co>');
    expect(page.html).toContain('USD 12.34');
    expect(page.html).toContain('>Complete authentication</button>');
    expect(page.html).toContain('>Fail authentication</button>');
    csrfOf(page.html);
    const csp = page.headers.get('content-security-policy') as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/style-src 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("form-action 'self' https://shop.example");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('when the customer completes, then 303 to the return URL with payment_id, the payment resumes at once, and a second answer changes nothing', async () => {
    const payment = await challenged(stack, merchant);
    const path = pathOf(payment);
    const csrf = csrfOf((await getPage(stack, path)).html);
    const completed = await postForm(stack, path, { csrf_token: csrf, result: 'complete' });
    expect(completed.status).toBe(303);
    expect(completed.headers.get('location')).toBe(`${RETURN_URL}&payment_id=${payment.id}`);
    // The workflow's own lookup runs every 15 minutes: only the signal can resume it this fast.
    const authorized = await waitForPayment(stack, merchant, payment.id, 'requires_capture', { timeoutMs: 10_000 });
    expect(authorized.next_action).toBeNull();
    const recorded = await sandboxRow(stack, payment.gateway_reference as string);
    expect(recorded.outcome).toBe('authorized');

    // A stale tab or a double click: the same form again, with the other button this time.
    const again = await postForm(stack, path, { csrf_token: csrf, result: 'fail' });
    expect(again.status).toBe(303);
    expect(await sandboxRow(stack, payment.gateway_reference as string)).toEqual(recorded);
    expect((await getPage(stack, pathOf(payment))).html).toContain('Authentication complete');

    expect(await capturePayment(stack, merchant, payment.id)).toMatchObject({ status: 'succeeded', amount_received: 12.34 });
    await expectLedgerBalanced(stack.orm);
  });

  it('when a sale is authenticated, then it succeeds captured; when two answers race, then exactly one is recorded', async () => {
    const sale = await challenged(stack, merchant, { capture: true, amount: 20 });
    const path = pathOf(sale);
    const csrf = csrfOf((await getPage(stack, path)).html);
    const [first, second] = await Promise.all([
      postForm(stack, path, { csrf_token: csrf, result: 'complete' }),
      postForm(stack, path, { csrf_token: csrf, result: 'fail' }),
    ]);
    expect([first.status, second.status]).toEqual([303, 303]);
    const row = await sandboxRow(stack, sale.gateway_reference as string);
    expect(['captured', 'declined:AuthenticationFailed']).toContain(row.outcome);
    const settled = await waitForPayment(stack, merchant, sale.id, (p) => p.status === 'succeeded' || p.status === 'failed', {
      timeoutMs: 10_000,
    });
    expect(settled.status).toBe(row.outcome === 'captured' ? 'succeeded' : 'failed');
    if (settled.status === 'succeeded') expect(settled.amount_received).toBe(20);
    await expectLedgerBalanced(stack.orm);
  });

  it('when the customer fails authentication, then the payment fails with the authentication failure code', async () => {
    const payment = await challenged(stack, merchant);
    const failed = await answer(stack, payment, 'fail');
    expect(failed.status).toBe(303);
    const settled = await waitForPayment(stack, merchant, payment.id, 'failed', { timeoutMs: 10_000 });
    expect(settled.failure_code).toBe('payment_intent_authentication_failure');
    expect((await sandboxRow(stack, payment.gateway_reference as string)).outcome).toBe('declined:AuthenticationFailed');
  });

  it('when the payment has no return_url, then the answer is a page saying authentication is complete', async () => {
    const payment = await challenged(stack, merchant, { returnUrl: null });
    const done = await answer(stack, payment, 'complete');
    expect(done.status).toBe(200);
    expect(done.headers.get('location')).toBeNull();
    expect(done.html).toContain('Authentication complete. You can close this window.');
    expect(done.headers.get('content-security-policy')).toContain("form-action 'self';");
    await waitForPayment(stack, merchant, payment.id, 'requires_capture', { timeoutMs: 10_000 });
  });

  it('when the form is forged, incomplete or not a form, then 4xx and nothing is recorded; an unknown challenge is 404', async () => {
    const payment = await challenged(stack, merchant);
    const path = pathOf(payment);
    const csrf = csrfOf((await getPage(stack, path)).html);
    const forged = await postForm(stack, path, { csrf_token: `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}`, result: 'complete' });
    expect(forged.status).toBe(403);
    expect(forged.html).toContain('nothing was recorded');
    expect((await postForm(stack, path, { result: 'complete' })).status).toBe(403);
    const noResult = await postForm(stack, path, { csrf_token: csrf, result: 'maybe' });
    expect(noResult.status).toBe(400);
    expect(noResult.html).toContain('result must be one of: complete, fail');
    const notForm = await postForm(stack, path, { csrf_token: csrf, result: 'complete' }, { contentType: 'text/plain' });
    expect(notForm.status).toBe(415);
    // A client that does not ask for HTML gets the API's JSON error naming the field.
    const forgedByApi = await postForm(stack, path, { csrf_token: 'x', result: 'complete' }, { accept: 'application/json' });
    expect(forgedByApi.status).toBe(403);
    expect(JSON.parse(forgedByApi.html)).toMatchObject({ code: 'csrf_token_invalid', param: 'csrf_token' });
    const badResultByApi = await postForm(stack, path, { csrf_token: csrf }, { accept: '*/*' });
    expect(badResultByApi.status).toBe(400);
    expect(JSON.parse(badResultByApi.html)).toMatchObject({ code: 'parameter_invalid', param: 'result' });
    expect((await sandboxRow(stack, payment.gateway_reference as string)).outcome).toBe('requires_action');
    expect((await getPayment(stack, merchant, payment.id)).status).toBe('requires_action');

    const unknown = `/sandbox/3ds/${randomBase62(43)}`;
    const missing = await getPage(stack, unknown);
    expect(missing.status).toBe(404);
    expect(missing.html).toContain('There is no authentication at this address.');
    expect((await postForm(stack, unknown, { csrf_token: csrf, result: 'complete' })).status).toBe(404);
    const missingByApi = await getPage(stack, unknown, 'application/json');
    expect(missingByApi.status).toBe(404);
    expect(JSON.parse(missingByApi.html)).toMatchObject({ code: 'resource_missing', param: 'challenge' });
  });

  it('when a vault token of card 4000002760003184 is paid, then it is challenged the same way, and the page shows no card number', async () => {
    const token = await stack.request('POST', '/v1/tokens', {
      apiKey: merchant.apiKey,
      body: { card: { number: '4000002760003184', exp_month: 12, exp_year: 2034, cvc: '123' } },
    });
    expect(token.status).toBe(201);
    const payment = await challenged(stack, merchant, { source: token.body.id });
    const page = await getPage(stack, pathOf(payment));
    expect(page.html).not.toMatch(/4000002760003184|3184|400000/);
    expect((await answer(stack, payment, 'complete')).status).toBe(303);
    await waitForPayment(stack, merchant, payment.id, 'requires_capture', { timeoutMs: 10_000 });
  });

  it('when a retry reaches the sandbox under the same key, then it answers the same challenge; status sync answers only for a known reference', async () => {
    const gateway = new SandboxGateway({ orm: stack.orm, publicUrl: 'https://pay.example/' });
    const request = {
      idempotencyKey: `pay_${randomBase62(12)}:authorize`,
      paymentId: `pay_${randomBase62(12)}`,
      amountMinor: 500,
      currency: 'USD',
      source: 'tok_threeDSecureRequired',
      capture: false,
    };
    const first = await gateway.authorize(request);
    expect(first).toMatchObject({ status: 'requires_action', capturedMinor: 0, nextAction: { type: 'redirect_to_url' } });
    expect(first.nextAction?.url).toMatch(/^https:\/\/pay\.example\/sandbox\/3ds\/[A-Za-z0-9_-]{43}$/);
    expect(await gateway.authorize(request)).toEqual(first);
    const lookup = { ...request, reference: null };
    expect(await gateway.lookupAuthorization(lookup)).toEqual({ outcome: 'not_found' });
    expect(await gateway.lookupAuthorization({ ...lookup, reference: first.reference })).toEqual({
      outcome: 'requires_action',
      reference: first.reference,
      nextAction: first.nextAction,
    });
  });
});

describe('an abandoned sandbox 3-D Secure challenge', () => {
  it('when the customer never answers, then the payment fails at the action timeout, the authorization is voided, and the page has expired', async () => {
    const fast = await startTestStack({ env: { PAYMENT_ACTION_TIMEOUT: '2s' } });
    try {
      const shop = await fast.createMerchant();
      const payment = await challenged(fast, shop);
      const path = pathOf(payment);
      const csrf = csrfOf((await getPage(fast, path)).html);
      const failed = await waitForPayment(fast, shop, payment.id, 'failed', { timeoutMs: 20_000 });
      expect(failed.failure_code).toBe('payment_intent_authentication_failure');
      const voids = await fast.orm.em
        .getConnection()
        .execute(`select outcome from sandbox_gateway_operations where authorization_id = ? and operation = 'void'`, [
          payment.gateway_reference,
        ]);
      expect(voids).toEqual([{ outcome: 'voided' }]);

      const expired = await getPage(fast, path);
      expect(expired.status).toBe(410);
      expect(expired.html).toContain('expired');
      const late = await postForm(fast, path, { csrf_token: csrf, result: 'complete' });
      expect(late.status).toBe(410);
      expect((await sandboxRow(fast, payment.gateway_reference as string)).outcome).toBe('requires_action');
      expect((await getPayment(fast, shop, payment.id)).status).toBe('failed');
      await expectLedgerBalanced(fast.orm);
    } finally {
      await fast.close();
    }
  }, 60_000);
});
