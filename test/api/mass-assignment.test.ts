import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { allRoutes, createMerchantObjects, objectForPath, routeName, validBodies, type MerchantObjects } from '../support/route-fixtures';
import { dataFingerprint, quietFingerprint } from '../support/data-fingerprint';
import { TEST_ADMIN_KEY, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started), { env: { SUBSCRIPTION_TIME_SCALE: '86400' } });

let objects: MerchantObjects;
beforeAll(async () => {
  objects = await createMerchantObjects(stack, merchant.apiKey);
});

/** Fields a client must never set: the server owns them. */
const PROTECTED_FIELDS = ['status', 'amount_refunded', 'merchant_id', 'livemode'];
// A gateway's own event format, verified by its signature: fields the gateway adds later are tolerated by design.
const TOLERANT_ROUTES = new Set([
  'POST /v1/gateway_events/:gateway',
  'POST /v1/gateway_events/stripe/:account',
  'POST /v1/gateway_events/adyen/:account',
  // RFC 6749 §3.2: the token endpoints must ignore parameters they do not know (they set nothing a client sends).
  'POST /v1/oauth/token',
  'POST /v1/oauth/revoke',
]);

// The audit log records every attempt, refused ones included: that is its purpose, not a write of the request's data.
const RECORDS_ATTEMPTS = ['audit_events'];

const databaseFingerprint = () => dataFingerprint(stack.orm, { excludeTables: RECORDS_ATTEMPTS });

const declaredFields = (schema: z.ZodType) =>
  Object.keys((z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: object }).properties ?? {});

describe('mass assignment', () => {
  it('when any route with a body receives a field the server owns, then 400 parameter_unknown names it and nothing is written', async () => {
    const routes = allRoutes().filter((route) => route.body && !TOLERANT_ROUTES.has(routeName(route)));
    expect(routes.length).toBeGreaterThan(15);
    const bodies = validBodies(objects);
    // Workflows started by the set-up may still be recording; wait until the database is quiet.
    const before = await quietFingerprint(databaseFingerprint);
    const refused: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    for (const route of routes) {
      const name = routeName(route);
      const body = bodies[name];
      expect(body, `no valid body for ${name}: add one to test/support/route-fixtures.ts`).toBeDefined();
      const id = route.path.includes('/:') ? objectForPath(route.path, objects) : undefined;
      if (route.path.includes('/:')) expect(id, `no fixture object for ${name}`).toBeDefined();
      const path = route.path.replace(/:[A-Za-z_]+/g, encodeURIComponent(id ?? ''));
      const apiKey = route.auth === 'admin' ? TEST_ADMIN_KEY : merchant.apiKey;
      for (const field of PROTECTED_FIELDS.filter((candidate) => !declaredFields(route.body as z.ZodType).includes(candidate))) {
        const response = await stack.request(route.method.toUpperCase(), path, {
          apiKey,
          body: {
            ...(body as object),
            [field]: field === 'status' ? 'succeeded' : field === 'livemode' ? true : field === 'merchant_id' ? 'mer_someoneelse' : 0,
          },
        });
        refused[`${name} ${field}`] = { status: response.status, code: response.body?.code, param: response.body?.param };
        expected[`${name} ${field}`] = { status: 400, code: 'parameter_unknown', param: field };
      }
    }
    expect(refused).toEqual(expected);
    expect(await databaseFingerprint()).toEqual(before);
  });

  it('when a route declares one of these fields itself, then it is the only exception (POST /v1/merchants takes livemode)', () => {
    const declaring = allRoutes()
      .filter((route) => route.body && !TOLERANT_ROUTES.has(routeName(route)))
      .flatMap((route) =>
        PROTECTED_FIELDS.filter((field) => declaredFields(route.body as z.ZodType).includes(field)).map(
          (field) => `${routeName(route)} ${field}`,
        ),
      );
    expect(declaring).toEqual(['POST /v1/merchants livemode']);
  });

  it('when a JSON body is larger than the limit, then 413 and nothing is written', async () => {
    const before = await stack.orm.em
      .getConnection()
      .execute(`select count(*)::int as n from customers where merchant_id = ?`, [merchant.id]);
    const response = await stack.request('POST', '/v1/customers', {
      apiKey: merchant.apiKey,
      rawBody: JSON.stringify({ email: 'big@example.com', source: 'tok_visa', name: 'x'.repeat(70 * 1024) }),
    });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ code: 'body_too_large' });
    const after = await stack.orm.em
      .getConnection()
      .execute(`select count(*)::int as n from customers where merchant_id = ?`, [merchant.id]);
    expect(after).toEqual(before);
  });
});
