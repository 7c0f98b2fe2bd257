import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../../src/shared/ids';
import { eventually, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { startWebhookReceiver } from '../support/webhook-receiver';
import {
  createApiKey,
  createCustomer,
  createPayment,
  createPlan,
  createRefund,
  createSubscription,
  createWebhookEndpoint,
  simulateDispute,
  type Caller,
} from '../support/api-calls';

// Every list that pages with `starting_after`, walked two at a time by a merchant of its own: each
// object once, newest first, has_more false only on the last page; a cursor that is not one of the
// caller's own objects is refused rather than answered with somebody's page.
let stack: TestStack;
let stranger: TestMerchant;
// A day lasts a second, so a subscription's first invoice exists at once; the plans bill every three
// years, so no renewal adds an invoice while the lists are walked.
useTestStack((started) => ({ stack, merchant: stranger } = started), { env: { SUBSCRIPTION_TIME_SCALE: '86400' } });

type Listed = Record<string, any> & { id: string };
interface ListPage {
  data: Listed[];
  has_more: boolean;
}

const withQuery = (path: string, query: string) => `${path}${path.includes('?') ? '&' : '?'}${query}`;
const newestFirst = (ids: string[]) => [...ids].reverse();

/** Reads a list two at a time, each page after the last object of the one before, until has_more is false. */
async function walk(caller: Caller, path: string): Promise<ListPage[]> {
  const pages: ListPage[] = [];
  for (let cursor: string | undefined; ;) {
    const response = await stack.request('GET', withQuery(path, `limit=2${cursor ? `&starting_after=${cursor}` : ''}`), {
      apiKey: caller.apiKey,
    });
    expect(response.status, `${path} after ${cursor}: ${JSON.stringify(response.body)}`).toBe(200);
    pages.push(response.body);
    // A list that never ends (has_more on an empty page, or forever) fails below instead of hanging here.
    if (!response.body.has_more || response.body.data.length === 0 || pages.length > 20) return pages;
    cursor = response.body.data.at(-1).id;
  }
}

/** The page sizes a walk two at a time must see: 2, 2, ..., then 1 or 2. */
const pageSizes = (count: number) => Array.from({ length: Math.ceil(count / 2) }, (_, index) => Math.min(2, count - 2 * index));

/** An id of the same kind and length as `id` that names nothing. */
const unknownLike = (id: string) => {
  const prefix = id.slice(0, id.lastIndexOf('_') + 1);
  return `${prefix}${randomBase62(id.length - prefix.length)}`;
};

async function expectCursorRefused(caller: Caller, path: string, cursor: string): Promise<void> {
  const response = await stack.request('GET', withQuery(path, `limit=2&starting_after=${cursor}`), { apiKey: caller.apiKey });
  expect({ status: response.status, code: response.body?.code, param: response.body?.param }, `${path} after ${cursor}`).toEqual({
    status: 400,
    code: 'resource_missing',
    param: 'starting_after',
  });
}

interface ListUnderTest {
  /** The merchant whose objects these are. */
  owner: Caller;
  /** The list as the owner reads it. */
  path: string;
  /** What the walk must find, newest first: the objects' ids, or what `key` reads from each. */
  expected: string[];
  key?: (object: Listed) => string;
  /** The same kind of list as the stranger reads it, when it is not `path` (a list under an object of the stranger's own). */
  strangerPath?: string;
}

/**
 * Walks the list: every expected object once, newest first, full pages of two, has_more false on the
 * last page only. Then the owner's cursor with an unknown id, and the stranger's with one of the
 * owner's ids, are both 400 resource_missing naming starting_after.
 */
async function expectPagedNewestFirst({
  owner,
  path,
  expected,
  key = (object) => object.id,
  strangerPath = path,
}: ListUnderTest): Promise<Listed[]> {
  expect(expected.length, 'enough objects for three pages').toBeGreaterThanOrEqual(4);
  expect(new Set(expected).size, 'distinct expected objects').toBe(expected.length);
  const pages = await walk(owner, path);
  expect(pages.flatMap((page) => page.data.map(key))).toEqual(expected);
  expect(pages.map((page) => page.data.length)).toEqual(pageSizes(expected.length));
  expect(pages.map((page) => page.has_more)).toEqual(pages.map((_, index) => index < pages.length - 1));

  const listed = pages.flatMap((page) => page.data);
  await expectCursorRefused(owner, path, unknownLike(listed[1].id));
  await expectCursorRefused(stranger, strangerPath, listed[1].id);
  return listed;
}

/** A merchant's rows of a table, newest first by (created_at, id): the order every list promises. */
async function storedNewestFirst(
  table: 'events' | 'webhook_attempts' | 'invoices',
  column: 'merchant_id' | 'endpoint_id',
  value: string,
): Promise<string[]> {
  const rows = await stack.orm.em
    .getConnection()
    .execute<{ id: string }[]>(`select id from ${table} where ${column} = ? order by created_at desc, id desc`, [value]);
  return rows.map((row) => row.id);
}

describe('lists of payments and of what paying produces', () => {
  let owner: TestMerchant;
  let payments: string[];
  let endpointId: string;
  let strangerEndpointId: string;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeAll(async () => {
    receiver = await startWebhookReceiver({});
    owner = await stack.createMerchant('Paged payments');
    endpointId = (await createWebhookEndpoint(stack, owner, { url: receiver.url('/paged'), enabled_events: ['payment.succeeded'] })).id;
    payments = [];
    for (let amount = 1; amount <= 5; amount++)
      payments.push((await createPayment(stack, owner, { amount, expectStatus: 'succeeded' })).id);
    // Subscribed to an event nobody here emits: the stranger's endpoint has no deliveries.
    strangerEndpointId = (
      await createWebhookEndpoint(stack, stranger, { url: 'http://127.0.0.1:9/hook', enabled_events: ['payment.requires_review'] })
    ).id;
  });
  afterAll(async () => receiver?.close());

  it("when GET /v1/payments is walked two at a time, then every payment appears once, newest first, has_more is false only on the last page, and a cursor not the merchant's own is 400", async () => {
    await expectPagedNewestFirst({ owner, path: '/v1/payments', expected: newestFirst(payments) });
  });

  it("when GET /v1/balance_transactions is walked two at a time, then each charge appears once, newest first, has_more is false only on the last page, and a cursor not the merchant's own is 400", async () => {
    const listed = await expectPagedNewestFirst({
      owner,
      path: '/v1/balance_transactions',
      expected: newestFirst(payments),
      key: (row) => row.source,
    });
    expect(listed.map((row) => row.type)).toEqual(Array(payments.length).fill('charge'));
  });

  it("when GET /v1/ledger/entries is walked two at a time, then each payment's entry appears once, newest first, has_more is false only on the last page, and a cursor not the merchant's own is 400", async () => {
    await expectPagedNewestFirst({ owner, path: '/v1/ledger/entries', expected: newestFirst(payments), key: (entry) => entry.source });
  });

  it("when GET /v1/events is walked two at a time, then every event appears once, newest first, has_more is false only on the last page, and a cursor not the merchant's own is 400", async () => {
    // Events are recorded as the payments' workflows run: wait until each payment has announced its success.
    const succeeded = await eventually(async () => {
      const rows = await stack.orm.em
        .getConnection()
        .execute<{ object_id: string }[]>(`select object_id from events where merchant_id = ? and type = 'payment.succeeded'`, [owner.id]);
      return rows.length >= payments.length ? rows : undefined;
    }, 20_000);
    expect(succeeded.map((row) => row.object_id).sort()).toEqual([...payments].sort());
    const listed = await expectPagedNewestFirst({
      owner,
      path: '/v1/events',
      expected: await storedNewestFirst('events', 'merchant_id', owner.id),
    });
    expect(new Set(listed.map((event) => event.data.object.id))).toEqual(new Set(payments));
  });

  it("when GET /v1/webhook_endpoints/:id/deliveries is walked two at a time, then every attempt appears once, newest first, has_more is false only on the last page, and a cursor not the endpoint's own is 400", async () => {
    await eventually(
      async () => ((await storedNewestFirst('webhook_attempts', 'endpoint_id', endpointId)).length >= payments.length ? true : undefined),
      20_000,
    );
    const listed = await expectPagedNewestFirst({
      owner,
      path: `/v1/webhook_endpoints/${endpointId}/deliveries`,
      expected: await storedNewestFirst('webhook_attempts', 'endpoint_id', endpointId),
      strangerPath: `/v1/webhook_endpoints/${strangerEndpointId}/deliveries`,
    });
    expect(listed.every((attempt) => attempt.succeeded)).toBe(true);
    expect(receiver.received('/paged')).toHaveLength(payments.length);
  });
});

describe('lists of refunds and disputes', () => {
  let owner: TestMerchant;
  let refunds: string[];
  let disputes: string[];

  beforeAll(async () => {
    owner = await stack.createMerchant('Paged refunds and disputes');
    const refunded = await createPayment(stack, owner, { amount: 50, expectStatus: 'succeeded' });
    refunds = [];
    for (let i = 0; i < 5; i++) refunds.push((await createRefund(stack, owner, refunded.id, { amount: 1, expectStatus: 'succeeded' })).id);
    const disputed = await createPayment(stack, owner, { amount: 50, expectStatus: 'succeeded' });
    disputes = [];
    for (let i = 0; i < 4; i++) disputes.push((await simulateDispute(stack, owner, disputed.id, { amount: 5 })).id);
  });

  it("when GET /v1/refunds is walked two at a time, then every refund appears once, newest first, has_more is false only on the last page, and a cursor not the merchant's own is 400", async () => {
    await expectPagedNewestFirst({ owner, path: '/v1/refunds', expected: newestFirst(refunds) });
  });

  it("when GET /v1/disputes is walked two at a time, then every dispute appears once, newest first, has_more is false only on the last page, and a cursor not the merchant's own is 400", async () => {
    await expectPagedNewestFirst({ owner, path: '/v1/disputes', expected: newestFirst(disputes) });
  });
});

describe('lists of customers, plans, subscriptions and invoices', () => {
  let owner: TestMerchant;
  let customers: string[];
  let plans: string[];
  let subscriptions: string[];

  beforeAll(async () => {
    owner = await stack.createMerchant('Paged subscriptions');
    customers = [];
    for (let i = 1; i <= 5; i++) customers.push((await createCustomer(stack, owner, { email: `paged-${i}@example.com` })).id);
    plans = [];
    for (let i = 1; i <= 4; i++)
      plans.push((await createPlan(stack, owner, { name: `Every three years ${i}`, amount: i, interval: 'year', interval_count: 3 })).id);
    subscriptions = [];
    for (let i = 0; i < 4; i++) subscriptions.push((await createSubscription(stack, owner, { customer: customers[i], plan: plans[0] })).id);
  });

  it("when GET /v1/customers is walked two at a time, then every customer appears once, newest first, has_more is false only on the last page, and a cursor not the merchant's own is 400", async () => {
    await expectPagedNewestFirst({ owner, path: '/v1/customers', expected: newestFirst(customers) });
  });

  it("when GET /v1/plans is walked two at a time, then every plan appears once, newest first, has_more is false only on the last page, and a cursor not the merchant's own is 400", async () => {
    await expectPagedNewestFirst({ owner, path: '/v1/plans', expected: newestFirst(plans) });
  });

  it("when GET /v1/subscriptions is walked two at a time, then every subscription appears once, newest first, has_more is false only on the last page, and a cursor not the merchant's own is 400", async () => {
    await expectPagedNewestFirst({ owner, path: '/v1/subscriptions', expected: newestFirst(subscriptions) });
  });

  it("when GET /v1/invoices is walked two at a time, then every invoice appears once, newest first, has_more is false only on the last page, and a cursor not the merchant's own is 400", async () => {
    // Each subscription's first invoice, drafted as its workflow starts.
    const latest = await Promise.all(
      subscriptions.map((id) =>
        eventually(async () => {
          const subscription = await stack.request('GET', `/v1/subscriptions/${id}`, { apiKey: owner.apiKey });
          return (subscription.body.latest_invoice as string | null) ?? undefined;
        }, 20_000),
      ),
    );
    const listed = await expectPagedNewestFirst({
      owner,
      path: '/v1/invoices',
      expected: await storedNewestFirst('invoices', 'merchant_id', owner.id),
    });
    expect(listed.map((invoice) => invoice.id)).toEqual(expect.arrayContaining(latest));
  });
});

describe('lists of webhook endpoints', () => {
  it("when GET /v1/webhook_endpoints is walked two at a time, then every endpoint appears once, newest first, has_more is false only on the last page, and a cursor not the merchant's own is 400", async () => {
    const owner = await stack.createMerchant('Paged endpoints');
    const endpoints: string[] = [];
    for (let i = 1; i <= 5; i++) {
      endpoints.push(
        (await createWebhookEndpoint(stack, owner, { url: `http://127.0.0.1:9/hook-${i}`, enabled_events: ['payment.requires_review'] }))
          .id,
      );
    }
    await expectPagedNewestFirst({ owner, path: '/v1/webhook_endpoints', expected: newestFirst(endpoints) });
  });
});

describe('lists of API keys and of the audit log', () => {
  let owner: TestMerchant;
  let firstKey: string;
  let keys: string[];

  beforeAll(async () => {
    owner = await stack.createMerchant('Paged keys');
    const [only] = (await stack.request('GET', '/v1/api_keys', { apiKey: owner.apiKey })).body.data;
    firstKey = only.id;
    keys = [];
    for (let i = 0; i < 4; i++) keys.push((await createApiKey(stack, owner)).id);
  });

  it("when GET /v1/api_keys is walked two at a time, then every key appears once, newest first, has_more is false only on the last page, and a cursor not the merchant's own is 400", async () => {
    await expectPagedNewestFirst({ owner, path: '/v1/api_keys', expected: newestFirst([firstKey, ...keys]) });
  });

  it("when GET /v1/audit_events is walked two at a time, then every mutating request appears once, newest first, has_more is false only on the last page, and a cursor not the merchant's own is 400", async () => {
    // Audit rows are written just after the answers: wait for the four key creations.
    await eventually(
      async () =>
        (await stack.request('GET', '/v1/audit_events?limit=100', { apiKey: owner.apiKey })).body.data.length >= keys.length
          ? true
          : undefined,
      5_000,
    );
    const listed = await expectPagedNewestFirst({
      owner,
      path: '/v1/audit_events',
      expected: newestFirst(keys),
      key: (event) => event.object_id,
    });
    expect(listed.map((event) => event.action)).toEqual(Array(keys.length).fill('createApiKey'));
  });
});

describe('lists of reconciliations', () => {
  it("when GET /v1/reconciliations is walked two at a time, then every run appears once, newest first, has_more is false only on the last page, and a cursor not the merchant's own is 400", async () => {
    const owner = await stack.createMerchant('Paged reconciliations');
    const today = new Date().toISOString().slice(0, 10);
    const runs: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await stack.request('POST', '/v1/reconciliations', {
        apiKey: owner.apiKey,
        body: { file: 'gateway_reference,amount,currency,date\r\n', period_start: today, period_end: today },
      });
      expect(response.status).toBe(201);
      runs.push(response.body.id);
    }
    await expectPagedNewestFirst({ owner, path: '/v1/reconciliations', expected: newestFirst(runs) });
  });
});
