import { describe, expect, it, vi } from 'vitest';
import { useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { CustomerService } from '../../src/customers/customer-service';
import { PlanService } from '../../src/plans/plan-service';
import { createGateways } from '../../src/services';
import type { Logger } from '../../src/logger';
import type { Merchant } from '../../src/merchants/merchant-record';
import type { InvoiceLine } from '../../src/subscriptions/invoice-lines';
import { apiTimestamp } from '../../src/shared/timestamps';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started), { worker: false });

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

type Options = { apiKey?: string; key?: string };
const post = (path: string, body: unknown, { apiKey = merchant.apiKey, key }: Options = {}) =>
  stack.request('POST', path, { apiKey, body, headers: key ? { 'Idempotency-Key': key } : {} });
const get = (path: string, apiKey = merchant.apiKey) => stack.request('GET', path, { apiKey });
const sql = <T = any>(text: string, params: unknown[] = []): Promise<T[]> => stack.orm.em.getConnection().execute(text, params);
const count = async (table: 'customers' | 'plans', merchantId = merchant.id) =>
  (await sql<{ n: number }>(`select count(*)::int as n from ${table} where merchant_id = ?`, [merchantId]))[0].n;
const ids = (list: { data: { id: string }[] }) => list.data.map((item) => item.id);

describe('customers', () => {
  it('when a customer is created, then it answers 201 with a cus_ id and the source as default_source, and GET returns the same', async () => {
    const created = await post('/v1/customers', {
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      source: 'tok_mastercard',
      metadata: { crm: '42' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^cus_[0-9A-Za-z]{22}$/),
      object: 'customer',
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      default_source: 'tok_mastercard',
      metadata: { crm: '42' },
      created_at: expect.stringMatching(TIMESTAMP),
    });
    const fetched = await get(`/v1/customers/${created.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
    const minimal = await post('/v1/customers', { email: 'bob@example.com', source: 'tok_visa' });
    expect(minimal.body).toMatchObject({ name: null, metadata: {}, default_source: 'tok_visa' });
  });

  it('when customers are listed, then newest first in pages, and email= filters case-insensitively', async () => {
    const own = await stack.createMerchant('Customer list');
    const made: string[] = [];
    for (const email of ['one@example.com', 'two@example.com', 'Three@Example.com']) {
      made.push((await post('/v1/customers', { email, source: 'tok_visa' }, { apiKey: own.apiKey })).body.id);
    }
    const first = await get('/v1/customers?limit=2', own.apiKey);
    expect(first.body).toMatchObject({ object: 'list', has_more: true });
    expect(ids(first.body)).toEqual([made[2], made[1]]);
    const second = await get(`/v1/customers?limit=2&starting_after=${made[1]}`, own.apiKey);
    expect(second.body).toMatchObject({ has_more: false });
    expect(ids(second.body)).toEqual([made[0]]);
    expect(ids((await get('/v1/customers?email=three@example.COM', own.apiKey)).body)).toEqual([made[2]]);
    expect(ids((await get('/v1/customers?email=nobody@example.com', own.apiKey)).body)).toEqual([]);
  });

  it.each([
    ['email missing', { source: 'tok_visa' }, 'email', 'parameter_missing'],
    ['email malformed', { email: 'not-an-email', source: 'tok_visa' }, 'email', 'parameter_invalid'],
    ['email with a space', { email: 'ada @example.com', source: 'tok_visa' }, 'email', 'parameter_invalid'],
    ['source missing', { email: 'a@example.com' }, 'source', 'parameter_missing'],
    ['name empty', { email: 'a@example.com', source: 'tok_visa', name: '' }, 'name', 'parameter_invalid'],
    ['metadata not an object', { email: 'a@example.com', source: 'tok_visa', metadata: 'x' }, 'metadata', 'parameter_invalid'],
    ['an unknown field', { email: 'a@example.com', source: 'tok_visa', phone: '+1' }, 'phone', 'parameter_unknown'],
    ['a NUL character in the name', { email: 'a@example.com', source: 'tok_visa', name: 'A\u0000' }, 'name', 'parameter_invalid'],
  ])('when %s, then 400 names the field and no customer is stored', async (_case, body, param, code) => {
    const before = await count('customers');
    const response = await post('/v1/customers', body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code, param, error: expect.stringContaining(param) });
    expect(await count('customers')).toBe(before);
  });

  it('when the source token is unknown, then 400 invalid_source naming source, the same answer as POST /v1/payments', async () => {
    const before = await count('customers');
    const response = await post('/v1/customers', { email: 'a@example.com', source: 'tok_unknown' });
    const payment = await post('/v1/payments', { amount: 1, currency: 'USD', source: 'tok_unknown' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'Invalid payment source',
      code: 'invalid_source',
      param: 'source',
      request_id: expect.any(String),
    });
    expect(payment.status).toBe(400);
    // The same answer, each with its own request id.
    expect({ ...response.body, request_id: undefined }).toEqual({ ...payment.body, request_id: undefined });
    expect(await count('customers')).toBe(before);
  });

  it('when a create is retried with its Idempotency-Key, then one customer exists; the key with another body is 422', async () => {
    const own = await stack.createMerchant('Idempotent customers');
    const body = { email: 'retry@example.com', source: 'tok_visa', metadata: { order: '1' } };
    const first = await post('/v1/customers', body, { apiKey: own.apiKey, key: 'customer-1' });
    const again = await post('/v1/customers', body, { apiKey: own.apiKey, key: 'customer-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const burst = await Promise.all(
      Array.from({ length: 8 }, () => post('/v1/customers', body, { apiKey: own.apiKey, key: 'customer-2' })),
    );
    expect(new Set(burst.map((r) => `${r.status} ${r.body.id}`)).size).toBe(1);
    expect(await count('customers', own.id)).toBe(2);

    const reused = await post('/v1/customers', { ...body, email: 'other@example.com' }, { apiKey: own.apiKey, key: 'customer-1' });
    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ code: 'idempotency_key_reused', param: 'Idempotency-Key' });
    expect(await count('customers', own.id)).toBe(2);
  });

  it('when POST /sources names a new token, then default_source changes and stays; an unknown token is refused and changes nothing', async () => {
    const customer = (await post('/v1/customers', { email: 'switch@example.com', source: 'tok_chargeDeclined' })).body;
    const changed = await post(`/v1/customers/${customer.id}/sources`, { source: 'tok_amex' });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ ...customer, default_source: 'tok_amex' });
    expect((await get(`/v1/customers/${customer.id}`)).body.default_source).toBe('tok_amex');

    const refused = await post(`/v1/customers/${customer.id}/sources`, { source: 'tok_nope' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'invalid_source', param: 'source' });
    const missing = await post(`/v1/customers/${customer.id}/sources`, {});
    expect(missing.body).toMatchObject({ code: 'parameter_missing', param: 'source' });
    expect((await get(`/v1/customers/${customer.id}`)).body.default_source).toBe('tok_amex');
  });

  it('when the default source changes, then the hook is called with the merchant and customer after the change is committed', async () => {
    const customer = (await post('/v1/customers', { email: 'hook@example.com', source: 'tok_insufficient_funds' })).body;
    const seen: { merchantId: string; customerId: string; storedSource: string }[] = [];
    const customers = new CustomerService({
      orm: stack.orm,
      gateways: createGateways(stack.orm),
      logger: silentLogger(),
      async onDefaultSourceChanged(who, customerId) {
        // Another connection already sees the new source: the hook runs after the commit.
        const [row] = await sql<{ default_source: string }>(`select default_source from customers where id = ?`, [customerId]);
        seen.push({ merchantId: who.id, customerId, storedSource: row.default_source });
      },
    });
    const result = await customers.setDefaultSource(await merchantRecord(), customer.id, 'tok_visa');
    expect(result.default_source).toBe('tok_visa');
    expect(seen).toEqual([{ merchantId: merchant.id, customerId: customer.id, storedSource: 'tok_visa' }]);

    await expect(customers.setDefaultSource(await merchantRecord(), customer.id, 'tok_nope')).rejects.toMatchObject({
      code: 'invalid_source',
    });
    await expect(customers.setDefaultSource(await merchantRecord(), 'cus_missing', 'tok_visa')).rejects.toMatchObject({ status: 404 });
    expect(seen).toHaveLength(1);
  });

  it('when the hook throws, then the new source still stands, the caller gets the customer, and the error is logged', async () => {
    const customer = (await post('/v1/customers', { email: 'hook-fails@example.com', source: 'tok_expired_card' })).body;
    const logger = silentLogger();
    const failure = new Error('subscriptions unreachable');
    const customers = new CustomerService({
      orm: stack.orm,
      gateways: createGateways(stack.orm),
      logger,
      onDefaultSourceChanged: async () => {
        throw failure;
      },
    });
    const result = await customers.setDefaultSource(await merchantRecord(), customer.id, 'tok_mastercard');
    expect(result).toEqual({ ...customer, default_source: 'tok_mastercard' });
    expect((await get(`/v1/customers/${customer.id}`)).body.default_source).toBe('tok_mastercard');
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(vi.mocked(logger.error).mock.calls[0][0]).toMatchObject({ err: failure, merchantId: merchant.id, customerId: customer.id });
  });

  it('when the subscription service asks for a customer, then getForMerchant returns the stored record, or null for another merchant', async () => {
    const customer = (await post('/v1/customers', { email: 'lookup@example.com', source: 'tok_visa', name: 'Lookup' })).body;
    const customers = new CustomerService({ orm: stack.orm, gateways: createGateways(stack.orm), logger: silentLogger() });
    const record = await customers.getForMerchant({ id: merchant.id }, customer.id);
    expect(record).toEqual({
      id: customer.id,
      merchantId: merchant.id,
      email: 'lookup@example.com',
      name: 'Lookup',
      defaultSource: 'tok_visa',
      metadata: {},
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
    expect(apiTimestamp(record!.createdAt)).toBe(customer.created_at);
    const other = await stack.createMerchant('Other lookup');
    expect(await customers.getForMerchant({ id: other.id }, customer.id)).toBeNull();
  });

  it("when a merchant touches another merchant's customer, then 404, and lists never show it", async () => {
    const other = await stack.createMerchant('Other customers');
    const customer = (await post('/v1/customers', { email: 'mine@example.com', source: 'tok_visa' })).body;
    expect((await get(`/v1/customers/${customer.id}`, other.apiKey)).status).toBe(404);
    const change = await post(`/v1/customers/${customer.id}/sources`, { source: 'tok_amex' }, { apiKey: other.apiKey });
    expect(change.status).toBe(404);
    expect(change.body).toMatchObject({ code: 'resource_missing' });
    expect((await get(`/v1/customers/${customer.id}`)).body.default_source).toBe('tok_visa');
    expect(ids((await get('/v1/customers?email=mine@example.com', other.apiKey)).body)).toEqual([]);
    const cursor = await get(`/v1/customers?starting_after=${customer.id}`, other.apiKey);
    expect(cursor.status).toBe(400);
    expect(cursor.body).toMatchObject({ param: 'starting_after' });
  });

  it.each([
    ['email=nope', 'email'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['colour=red', 'colour'],
    ['starting_after=cus_missing', 'starting_after'],
  ])('when the list query has %s, then 400 names %s', async (query, param) => {
    const response = await get(`/v1/customers?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.param).toBe(param);
  });
});

describe('plans', () => {
  const monthly = { name: 'Pro monthly', amount: '19.90', currency: 'usd', interval: 'month' };

  it('when a plan is created, then it answers 201 with a plan_ id, the amount in major units and the defaults, and GET returns the same', async () => {
    const created = await post('/v1/plans', monthly);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^plan_[0-9A-Za-z]{22}$/),
      object: 'plan',
      name: 'Pro monthly',
      amount: 19.9,
      currency: 'USD',
      interval: 'month',
      interval_count: 1,
      trial_period_days: null,
      active: true,
      metadata: {},
      created_at: expect.stringMatching(TIMESTAMP),
    });
    expect((await get(`/v1/plans/${created.body.id}`)).body).toEqual(created.body);
    const [row] = await sql(`select amount_minor, currency from plans where id = ?`, [created.body.id]);
    expect({ amount: Number(row.amount_minor), currency: row.currency }).toEqual({ amount: 1990, currency: 'USD' });

    const quarterly = await post('/v1/plans', {
      name: 'Yen quarterly',
      amount: 1500,
      currency: 'JPY',
      interval: 'month',
      interval_count: 3,
      trial_period_days: 14,
      metadata: { tier: 'b' },
    });
    expect(quarterly.body).toMatchObject({
      amount: 1500,
      currency: 'JPY',
      interval_count: 3,
      trial_period_days: 14,
      metadata: { tier: 'b' },
    });
  });

  it.each([
    ['day', 365],
    ['week', 156],
    ['month', 36],
    ['year', 3],
  ])('when interval is %s with interval_count %i (three years, or the 365 cap), then it is accepted', async (interval, intervalCount) => {
    const response = await post('/v1/plans', { ...monthly, interval, interval_count: intervalCount });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ interval, interval_count: intervalCount });
  });

  it.each([
    ['name missing', { amount: 10, currency: 'USD', interval: 'month' }, 'name', 'parameter_missing'],
    ['interval unknown', { ...monthly, interval: 'fortnight' }, 'interval', 'parameter_invalid'],
    ['interval missing', { name: 'x', amount: 10, currency: 'USD' }, 'interval', 'parameter_missing'],
    ['interval_count 0', { ...monthly, interval_count: 0 }, 'interval_count', 'parameter_invalid'],
    ['interval_count fractional', { ...monthly, interval_count: 1.5 }, 'interval_count', 'parameter_invalid'],
    ['interval_count a string', { ...monthly, interval_count: '2' }, 'interval_count', 'parameter_invalid'],
    ['37 months', { ...monthly, interval_count: 37 }, 'interval_count', 'parameter_invalid'],
    ['157 weeks', { ...monthly, interval: 'week', interval_count: 157 }, 'interval_count', 'parameter_invalid'],
    ['4 years', { ...monthly, interval: 'year', interval_count: 4 }, 'interval_count', 'parameter_invalid'],
    ['366 days', { ...monthly, interval: 'day', interval_count: 366 }, 'interval_count', 'parameter_invalid'],
    ['three decimals in USD', { ...monthly, amount: 10.001 }, 'amount', 'parameter_invalid'],
    ['decimals in JPY', { ...monthly, currency: 'JPY', amount: '100.5' }, 'amount', 'parameter_invalid'],
    ['amount zero', { ...monthly, amount: 0 }, 'amount', 'parameter_invalid'],
    ['amount negative', { ...monthly, amount: -1 }, 'amount', 'parameter_invalid'],
    ['an unknown currency', { ...monthly, currency: 'XXX' }, 'currency', 'parameter_invalid'],
    ['trial_period_days 731', { ...monthly, trial_period_days: 731 }, 'trial_period_days', 'parameter_invalid'],
    ['trial_period_days negative', { ...monthly, trial_period_days: -1 }, 'trial_period_days', 'parameter_invalid'],
    ['an unknown field', { ...monthly, usage_type: 'metered' }, 'usage_type', 'parameter_unknown'],
  ])('when %s, then 400 names the field and no plan is stored', async (_case, body, param, code) => {
    const before = await count('plans');
    const response = await post('/v1/plans', body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code, param, error: expect.stringContaining(param) });
    expect(await count('plans')).toBe(before);
  });

  it('when plans are listed, then newest first in pages, and active= filters', async () => {
    const own = await stack.createMerchant('Plan list');
    const made: string[] = [];
    for (const name of ['A', 'B', 'C']) made.push((await post('/v1/plans', { ...monthly, name }, { apiKey: own.apiKey })).body.id);
    await sql(`update plans set active = false where id = ?`, [made[1]]);
    const first = await get('/v1/plans?limit=2', own.apiKey);
    expect(ids(first.body)).toEqual([made[2], made[1]]);
    expect(first.body.has_more).toBe(true);
    const second = await get(`/v1/plans?limit=2&starting_after=${made[1]}`, own.apiKey);
    expect(ids(second.body)).toEqual([made[0]]);
    expect(second.body.has_more).toBe(false);
    expect(ids((await get('/v1/plans?active=true', own.apiKey)).body)).toEqual([made[2], made[0]]);
    const inactive = await get('/v1/plans?active=false', own.apiKey);
    expect(ids(inactive.body)).toEqual([made[1]]);
    expect(inactive.body.data[0].active).toBe(false);
    const bad = await get('/v1/plans?active=yes', own.apiKey);
    expect(bad.status).toBe(400);
    expect(bad.body.param).toBe('active');
  });

  it('when a create is retried with its Idempotency-Key, then one plan exists (19.9 and "19.90" are one request); another body is 422', async () => {
    const own = await stack.createMerchant('Idempotent plans');
    const first = await post('/v1/plans', { ...monthly, amount: 19.9 }, { apiKey: own.apiKey, key: 'plan-1' });
    const again = await post('/v1/plans', { ...monthly, amount: '19.90' }, { apiKey: own.apiKey, key: 'plan-1' });
    expect(first.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await count('plans', own.id)).toBe(1);
    const reused = await post('/v1/plans', { ...monthly, amount: 29 }, { apiKey: own.apiKey, key: 'plan-1' });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
    expect(await count('plans', own.id)).toBe(1);
  });

  it('when the subscription service asks for a plan, then getForMerchant returns it in minor units, or null for another merchant', async () => {
    const plan = (
      await post('/v1/plans', { ...monthly, currency: 'KWD', amount: '1.125', interval: 'week', interval_count: 2, trial_period_days: 0 })
    ).body;
    const plans = new PlanService({ orm: stack.orm });
    expect(await plans.getForMerchant({ id: merchant.id }, plan.id)).toMatchObject({
      id: plan.id,
      merchantId: merchant.id,
      name: 'Pro monthly',
      amountMinor: 1125,
      currency: 'KWD',
      interval: 'week',
      intervalCount: 2,
      trialPeriodDays: 0,
      active: true,
      metadata: {},
    });
    const other = await stack.createMerchant('Other plan lookup');
    expect(await plans.getForMerchant({ id: other.id }, plan.id)).toBeNull();
  });

  it("when a merchant reads another merchant's plan, then 404, and lists never show it", async () => {
    const other = await stack.createMerchant('Other plans');
    const plan = (await post('/v1/plans', monthly)).body;
    const response = await get(`/v1/plans/${plan.id}`, other.apiKey);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: 'Plan not found', code: 'resource_missing', param: 'id', request_id: expect.any(String) });
    expect(ids((await get('/v1/plans?limit=100', other.apiKey)).body)).not.toContain(plan.id);
    expect((await get(`/v1/plans?starting_after=${plan.id}`, other.apiKey)).status).toBe(400);
  });
});

describe('invoices', () => {
  const line = (
    type: InvoiceLine['type'],
    description: string,
    amountMinor: number,
    planId: string,
    periodStart: string,
    periodEnd: string,
  ): InvoiceLine => ({ type, description, amountMinor, planId, periodStart, periodEnd });

  async function insertSubscription(owner: TestMerchant, customerId: string, planId: string): Promise<string> {
    const id = `sub_${Math.random().toString(36).slice(2)}`;
    await sql(
      `insert into subscriptions (id, merchant_id, customer_id, plan_id, status, billing_anchor, created_at) values (?, ?, ?, ?, 'past_due', ?, ?)`,
      [id, owner.id, customerId, planId, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z'],
    );
    return id;
  }

  async function insertInvoice(values: Record<string, unknown>): Promise<void> {
    const columns = Object.keys(values);
    await sql(
      `insert into invoices (${columns.join(', ')}) values (${columns.map((c) => (c === 'lines' ? '?::jsonb' : '?')).join(', ')})`,
      columns.map((c) => (c === 'lines' ? JSON.stringify(values[c]) : values[c])),
    );
  }

  /** A customer and two plans through the API, a subscription and three invoices by SQL (the subscription workflow writes them in production). */
  async function billingHistory(owner: TestMerchant) {
    const customer = (await post('/v1/customers', { email: 'billing@example.com', source: 'tok_visa' }, { apiKey: owner.apiKey })).body;
    const pro = (await post('/v1/plans', { name: 'Pro', amount: '19.90', currency: 'USD', interval: 'month' }, { apiKey: owner.apiKey }))
      .body;
    const team = (await post('/v1/plans', { name: 'Team', amount: '49.00', currency: 'USD', interval: 'month' }, { apiKey: owner.apiKey }))
      .body;
    const subscription = await insertSubscription(owner, customer.id, pro.id);
    const otherSubscription = await insertSubscription(owner, customer.id, team.id);
    const suffix = Math.random().toString(36).slice(2);
    const paid = `in_paid${suffix}`;
    const open = `in_open${suffix}`;
    const other = `in_other${suffix}`;
    const base = { merchant_id: owner.id, customer_id: customer.id, currency: 'USD' };
    await insertInvoice({
      ...base,
      id: paid,
      subscription_id: subscription,
      cycle: 0,
      status: 'paid',
      billing_reason: 'subscription_create',
      lines: [line('subscription', '1 × Pro (at 19.90 / month)', 1990, pro.id, '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z')],
      subtotal_minor: 1990,
      amount_due_minor: 1990,
      amount_paid_minor: 1990,
      attempt_count: 1,
      last_payment_id: 'pay_first',
      period_start: '2026-11-01T00:00:00Z',
      period_end: '2026-12-01T00:00:00Z',
      paid_at: '2026-11-01T00:00:02.5Z',
      created_at: '2026-11-01T00:00:00.123456Z',
    });
    await insertInvoice({
      ...base,
      id: open,
      subscription_id: subscription,
      cycle: 1,
      status: 'open',
      billing_reason: 'subscription_cycle',
      lines: [
        line('proration', 'Unused time on Pro after 16 Nov 2026', -995, pro.id, '2026-11-16T00:00:00.000Z', '2026-12-01T00:00:00.000Z'),
        line(
          'proration',
          'Remaining time on Team after 16 Nov 2026',
          2450,
          team.id,
          '2026-11-16T00:00:00.000Z',
          '2026-12-01T00:00:00.000Z',
        ),
        line('subscription', '1 × Team (at 49.00 / month)', 4900, team.id, '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'),
      ],
      subtotal_minor: 6355,
      credit_applied_minor: 500,
      amount_due_minor: 5855,
      amount_paid_minor: 0,
      attempt_count: 2,
      next_payment_attempt: '2026-12-06T00:00:00Z',
      last_payment_id: 'pay_second',
      last_failure_code: 'insufficient_funds',
      period_start: '2026-12-01T00:00:00Z',
      period_end: '2027-01-01T00:00:00Z',
      created_at: '2026-12-01T00:00:00.5Z',
    });
    await insertInvoice({
      ...base,
      id: other,
      subscription_id: otherSubscription,
      cycle: 0,
      status: 'void',
      billing_reason: 'subscription_create',
      lines: [line('subscription', '1 × Team (at 49.00 / month)', 4900, team.id, '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z')],
      subtotal_minor: 4900,
      amount_due_minor: 4900,
      period_start: '2026-11-01T00:00:00Z',
      period_end: '2026-12-01T00:00:00Z',
      created_at: '2026-11-15T00:00:00Z',
    });
    return { customer, pro, team, subscription, otherSubscription, paid, open, other };
  }

  it('when an invoice is retrieved, then every field renders Stripe-like: major units, signed proration lines, UTC timestamps to the second', async () => {
    const own = await stack.createMerchant('Invoice rendering');
    const h = await billingHistory(own);
    const response = await get(`/v1/invoices/${h.open}`, own.apiKey);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: h.open,
      object: 'invoice',
      subscription: h.subscription,
      customer: h.customer.id,
      status: 'open',
      billing_reason: 'subscription_cycle',
      currency: 'USD',
      lines: [
        {
          type: 'proration',
          description: 'Unused time on Pro after 16 Nov 2026',
          amount: -9.95,
          plan: h.pro.id,
          period: { start: '2026-11-16T00:00:00Z', end: '2026-12-01T00:00:00Z' },
        },
        {
          type: 'proration',
          description: 'Remaining time on Team after 16 Nov 2026',
          amount: 24.5,
          plan: h.team.id,
          period: { start: '2026-11-16T00:00:00Z', end: '2026-12-01T00:00:00Z' },
        },
        {
          type: 'subscription',
          description: '1 × Team (at 49.00 / month)',
          amount: 49,
          plan: h.team.id,
          period: { start: '2026-12-01T00:00:00Z', end: '2027-01-01T00:00:00Z' },
        },
      ],
      subtotal: 63.55,
      credit_applied: 5,
      amount_due: 58.55,
      amount_paid: 0,
      amount_remaining: 58.55,
      attempt_count: 2,
      next_payment_attempt: '2026-12-06T00:00:00Z',
      last_payment: 'pay_second',
      last_failure_code: 'insufficient_funds',
      period_start: '2026-12-01T00:00:00Z',
      period_end: '2027-01-01T00:00:00Z',
      paid_at: null,
      created_at: '2026-12-01T00:00:00Z',
    });
    const paid = (await get(`/v1/invoices/${h.paid}`, own.apiKey)).body;
    expect(paid).toMatchObject({
      status: 'paid',
      billing_reason: 'subscription_create',
      subtotal: 19.9,
      credit_applied: 0,
      amount_due: 19.9,
      amount_paid: 19.9,
      amount_remaining: 0,
      attempt_count: 1,
      next_payment_attempt: null,
      last_payment: 'pay_first',
      last_failure_code: null,
      paid_at: '2026-11-01T00:00:02Z',
      created_at: '2026-11-01T00:00:00Z',
    });
  });

  it('when invoices are listed, then newest first in pages, filtered by subscription, customer and status', async () => {
    const own = await stack.createMerchant('Invoice lists');
    const h = await billingHistory(own);
    const all = await get('/v1/invoices', own.apiKey);
    expect(all.body).toMatchObject({ object: 'list', has_more: false });
    expect(ids(all.body)).toEqual([h.open, h.other, h.paid]);
    expect(all.body.data[0]).toEqual((await get(`/v1/invoices/${h.open}`, own.apiKey)).body);

    const page = await get('/v1/invoices?limit=1', own.apiKey);
    expect([ids(page.body), page.body.has_more]).toEqual([[h.open], true]);
    const next = await get(`/v1/invoices?limit=1&starting_after=${h.open}`, own.apiKey);
    expect([ids(next.body), next.body.has_more]).toEqual([[h.other], true]);
    const last = await get(`/v1/invoices?limit=1&starting_after=${h.other}`, own.apiKey);
    expect([ids(last.body), last.body.has_more]).toEqual([[h.paid], false]);

    expect(ids((await get(`/v1/invoices?subscription=${h.subscription}`, own.apiKey)).body)).toEqual([h.open, h.paid]);
    expect(ids((await get(`/v1/invoices?subscription=${h.otherSubscription}`, own.apiKey)).body)).toEqual([h.other]);
    expect(ids((await get(`/v1/invoices?customer=${h.customer.id}&status=open`, own.apiKey)).body)).toEqual([h.open]);
    expect(ids((await get(`/v1/invoices?customer=${h.customer.id}&status=void`, own.apiKey)).body)).toEqual([h.other]);
    expect(ids((await get('/v1/invoices?customer=cus_nobody', own.apiKey)).body)).toEqual([]);
  });

  it("when a merchant reads another merchant's invoices, then 404 and empty lists", async () => {
    const own = await stack.createMerchant('Invoice owner');
    const other = await stack.createMerchant('Invoice snooper');
    const h = await billingHistory(own);
    const response = await get(`/v1/invoices/${h.open}`, other.apiKey);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: 'Invoice not found', code: 'resource_missing', param: 'id', request_id: expect.any(String) });
    expect((await get(`/v1/invoices/${h.open}`, own.apiKey)).status).toBe(200);
    expect(ids((await get(`/v1/invoices?subscription=${h.subscription}`, other.apiKey)).body)).toEqual([]);
    expect(ids((await get(`/v1/invoices?customer=${h.customer.id}`, other.apiKey)).body)).toEqual([]);
    expect((await get(`/v1/invoices?starting_after=${h.open}`, other.apiKey)).status).toBe(400);
  });

  it.each([
    ['status=late', 'status'],
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['starting_after=in_missing', 'starting_after'],
    ['colour=red', 'colour'],
    ['customer=%00', 'customer'],
  ])('when the list query has %s, then 400 names %s', async (query, param) => {
    const response = await get(`/v1/invoices?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.param).toBe(param);
  });

  it('when an id holds a NUL character, then 400 naming it, never a 500', async () => {
    for (const path of ['/v1/invoices/in_%00', '/v1/customers/cus_%00', '/v1/plans/plan_%00']) {
      const response = await get(path);
      expect([path, response.status, response.body.param]).toEqual([path, 400, 'id']);
    }
  });
});

function silentLogger(): Logger {
  return { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn() } as unknown as Logger;
}

async function merchantRecord(): Promise<Merchant> {
  const [row] = await sql(`select id, name, livemode, created_at from merchants where id = ?`, [merchant.id]);
  return { id: row.id, name: row.name, livemode: row.livemode, createdAt: new Date(row.created_at) };
}
