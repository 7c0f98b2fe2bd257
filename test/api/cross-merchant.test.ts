import { beforeAll, describe, expect, it } from 'vitest';
import { periodOf, periodWindow, type PeriodWindow } from '../../src/billing/billing-period';
import { FeeInvoiceService } from '../../src/billing/fee-invoice-service';
import { allRoutes, createMerchantObjects, objectForPath, routeName, validBodies, type MerchantObjects } from '../support/route-fixtures';
import { useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';

let stack: TestStack;
let owner: TestMerchant;
// Subscription time runs a day a second, so the subscription's first invoice exists at once.
useTestStack((started) => ({ stack, merchant: owner } = started), { env: { SUBSCRIPTION_TIME_SCALE: '86400' } });

let other: TestMerchant;
let objects: MerchantObjects;

beforeAll(async () => {
  other = await stack.createMerchant('Other merchant');
  objects = await createMerchantObjects(stack, owner.apiKey);
  // This month's fee invoice for the owner alone, issued as the monthly run would on the 1st.
  const window = periodWindow(periodOf(new Date())) as PeriodWindow;
  const { issued } = await new FeeInvoiceService({
    orm: stack.orm,
    defaultFees: stack.config.fees,
    now: () => window.end,
  }).issueFeeInvoices(window.period, undefined, { merchantIds: [owner.id] });
  objects.feeInvoice = issued[0]?.id;
});

// Not tenant-scoped: admin routes answer for the platform, and a gateway's events are addressed by gateway name and signed.
const SKIPPED_AUTH = new Set(['admin', 'none']);
// The catalogue names no merchant's object: a currency code is everyone's, and each merchant reads its own gateways' view of it.
const NOT_OWNED = new Set(['/v1/currencies/:code', '/v1/currencies/:code/payment_methods']);
const scoped = () => allRoutes().filter((route) => !SKIPPED_AUTH.has(route.auth) && !NOT_OWNED.has(route.path));

describe("another merchant's objects", () => {
  it("when merchant B calls every route that names an object with A's ids, then each answers 404 and A's objects are unchanged", async () => {
    const routes = scoped().filter((route) => route.path.includes('/:'));
    expect(routes.length).toBeGreaterThanOrEqual(30);
    const bodies = validBodies(objects);
    const get = async (path: string) => (await stack.request('GET', path, { apiKey: owner.apiKey })).body;
    const unchanged = [
      `/v1/payments/${objects.heldPayment}`,
      `/v1/webhook_endpoints/${objects.webhookEndpoint}`,
      `/v1/disputes/${objects.dispute}`,
      `/v1/customers/${objects.customer}`,
    ];
    const before = await Promise.all(unchanged.map(get));
    const answers: Record<string, number> = {};
    for (const route of routes) {
      const id = objectForPath(route.path, objects);
      expect(id, `no fixture object for ${routeName(route)}: add one to test/support/route-fixtures.ts`).toBeDefined();
      const body = route.body ? bodies[routeName(route)] : undefined;
      if (route.body) expect(body, `no valid body for ${routeName(route)}: add one to test/support/route-fixtures.ts`).toBeDefined();
      const path = route.path.replace(/:[A-Za-z_]+/g, encodeURIComponent(id as string));
      answers[routeName(route)] = (await stack.request(route.method.toUpperCase(), path, { apiKey: other.apiKey, body })).status;
    }
    expect(answers).toEqual(Object.fromEntries(Object.keys(answers).map((name) => [name, 404])));

    // B's capture, cancel, PATCH, DELETE, close and new source changed none of A's objects.
    expect(await Promise.all(unchanged.map(get))).toEqual(before);
    expect((await get(`/v1/subscriptions/${objects.subscription}`)).status).toBe('active');
  });

  it("when another merchant lists anything, then none of A's ids appear", async () => {
    // A merchant that never named A's ids: B's own audit log rightly records the ids B tried above.
    const stranger = await stack.createMerchant('Stranger');
    const lists = scoped().filter((route) => route.method === 'get' && !route.path.includes('/:'));
    expect(lists.length).toBeGreaterThan(10);
    const ownIds = Object.values(objects).filter((id): id is string => typeof id === 'string');
    for (const route of lists) {
      const response = await stack.request('GET', route.path, { apiKey: stranger.apiKey });
      expect(response.status, routeName(route)).toBeLessThan(500);
      const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
      for (const id of ownIds) expect(text, `${routeName(route)} shows ${id}`).not.toContain(id);
    }
    // The same lists show A's objects to A, so the check above could fail.
    const own = JSON.stringify((await stack.request('GET', '/v1/payments?limit=100', { apiKey: owner.apiKey })).body);
    expect(own).toContain(objects.payment);
  });
});
