import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { loadConfig, TEST_PAYLOAD_KEYS } from '../../src/config';
import { initOrm, type Orm } from '../../src/db/orm';
import { GatewayError } from '../../src/gateways/payment-gateway';
import { SandboxGateway } from '../../src/gateways/sandbox/sandbox-gateway';
import type { SandboxFaultSettings } from '../../src/gateways/sandbox/sandbox-faults';
import { newId } from '../../src/shared/ids';
import { eventually, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { waitForPayment } from '../support/api-calls';

interface FaultRow {
  kind: string;
  operation: string;
  idempotency_key: string;
  pid: number;
  created_at: string | Date;
}

const faultsOf = (orm: Orm, key: string) =>
  orm.em
    .getConnection()
    .execute<FaultRow[]>(
      `select kind, operation, idempotency_key, pid, created_at from sandbox_faults where idempotency_key = ? order by id`,
      [key],
    );
const operationsOf = (orm: Orm, key: string) =>
  orm.em
    .getConnection()
    .execute<{ id: string; attempts: number; outcome: string }[]>(
      `select id, attempts, outcome from sandbox_gateway_operations where idempotency_key = ?`,
      [key],
    );

describe('SANDBOX_FAULTS and WEBHOOK_RETRY_TIME_SCALE parsing', () => {
  const load = (env: Record<string, string>) => () => loadConfig({ NODE_ENV: 'test', ...env });
  const production = (env: Record<string, string>) => () =>
    loadConfig({ NODE_ENV: 'production', TEMPORAL_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, ...env });

  it('when SANDBOX_FAULTS lists kinds with probabilities, then each kind gets its probability and the durations their defaults', () => {
    expect(load({ SANDBOX_FAULTS: 'timeout_after_charge:0.1, unavailable:0.02,slow:1' })().sandbox.faults).toEqual({
      probabilities: { timeout_after_charge: 0.1, unavailable: 0.02, slow: 1 },
      burstMs: 3000,
      slowMs: 2000,
    });
    expect(load({ SANDBOX_FAULTS: 'slow:0', SANDBOX_FAULT_BURST_MS: '250', SANDBOX_FAULT_SLOW_MS: '40' })().sandbox.faults).toEqual({
      probabilities: { slow: 0 },
      burstMs: 250,
      slowMs: 40,
    });
    expect(load({})().sandbox.faults).toBeUndefined();
    expect(load({})().webhooks.retryTimeScale).toBe(1);
    expect(load({ WEBHOOK_RETRY_TIME_SCALE: '60' })().webhooks.retryTimeScale).toBe(60);
  });

  it('when a kind is unknown or a number is bad, then startup fails naming the variable', () => {
    expect(load({ SANDBOX_FAULTS: 'lost_packets:0.1' })).toThrow(/^SANDBOX_FAULTS .*"lost_packets:0.1"/);
    expect(load({ SANDBOX_FAULTS: 'slow' })).toThrow(/^SANDBOX_FAULTS /);
    expect(load({ SANDBOX_FAULTS: 'slow:1.5' })).toThrow(/^SANDBOX_FAULTS: the probability of slow .*"1.5"/);
    expect(load({ SANDBOX_FAULTS: 'slow:often' })).toThrow(/^SANDBOX_FAULTS: /);
    expect(load({ SANDBOX_FAULTS: 'slow:' })).toThrow(/^SANDBOX_FAULTS: /);
    expect(load({ SANDBOX_FAULTS: 'slow:0.1,slow:0.2' })).toThrow(/^SANDBOX_FAULTS names slow twice/);
    expect(load({ SANDBOX_FAULTS: 'slow:0.1', SANDBOX_FAULT_BURST_MS: '3s' })).toThrow(/^SANDBOX_FAULT_BURST_MS /);
    expect(load({ SANDBOX_FAULT_SLOW_MS: '-1' })).toThrow(/^SANDBOX_FAULT_SLOW_MS /);
    expect(load({ WEBHOOK_RETRY_TIME_SCALE: '0.5' })).toThrow(/^WEBHOOK_RETRY_TIME_SCALE /);
    expect(load({ WEBHOOK_RETRY_TIME_SCALE: 'fast' })).toThrow(/^WEBHOOK_RETRY_TIME_SCALE /);
  });

  it('when NODE_ENV is production, then both variables are refused', () => {
    expect(production({})().env).toBe('production');
    expect(production({ SANDBOX_FAULTS: 'slow:0.1' })).toThrow(/^SANDBOX_FAULTS: .*cannot be set in production/);
    expect(production({ SANDBOX_FAULT_SLOW_MS: '10' })).toThrow(/^SANDBOX_FAULT_SLOW_MS: .*cannot be set in production/);
    expect(production({ WEBHOOK_RETRY_TIME_SCALE: '10' })).toThrow(/^WEBHOOK_RETRY_TIME_SCALE .*cannot be set in production/);
  });
});

describe('SandboxGateway faults, drawn with an injected random and clock', () => {
  let orm: Orm;
  beforeAll(async () => {
    orm = await initOrm({ url: inject('databaseUrl'), poolMax: 2 });
  });
  afterAll(async () => orm?.close());

  const gatewayWith = (faults: Partial<SandboxFaultSettings>, draws: number[], clock = { now: 0 }, sleep?: (ms: number) => Promise<void>) =>
    new SandboxGateway({
      orm,
      faults: { probabilities: {}, burstMs: 1000, slowMs: 2000, ...faults },
      random: () => draws.shift() ?? 0.99,
      now: () => clock.now,
      sleep: sleep ?? (async () => undefined),
    });
  const authorize = (gateway: SandboxGateway, key: string) =>
    gateway.authorize({ idempotencyKey: key, paymentId: key, amountMinor: 500, currency: 'USD', source: 'tok_visa', capture: true });
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'answered',
      (error) => (error instanceof GatewayError ? error.failureType : String(error)),
    );

  it('when an unavailable fault starts a burst, then every call within it fails before anything is recorded, and the first call after it goes through', async () => {
    const clock = { now: 1_000_000 };
    // One draw under 0.5 starts the burst; the calls inside it draw nothing; the call after it draws 0.9.
    const gateway = gatewayWith({ probabilities: { unavailable: 0.5 }, burstMs: 1000 }, [0.4, 0.9], clock);
    const keys = [1, 2, 3, 4].map(() => `${newId('pay')}:authorize`);
    expect(await failureOf(authorize(gateway, keys[0]))).toBe('GatewayUnavailable');
    clock.now += 500;
    expect(await failureOf(authorize(gateway, keys[1]))).toBe('GatewayUnavailable');
    clock.now += 499;
    expect(await failureOf(authorize(gateway, keys[2]))).toBe('GatewayUnavailable');
    clock.now += 1;
    expect(await failureOf(authorize(gateway, keys[3]))).toBe('answered');
    for (const key of keys.slice(0, 3)) {
      expect(await operationsOf(orm, key)).toEqual([]);
      expect(await faultsOf(orm, key)).toEqual([
        expect.objectContaining({ kind: 'unavailable', operation: 'authorize', pid: process.pid }),
      ]);
    }
    expect(await operationsOf(orm, keys[3])).toHaveLength(1);
    expect(await faultsOf(orm, keys[3])).toEqual([]);
  });

  it('when recording a fault fails, then the fault is injected all the same', async () => {
    const broken = {
      em: {
        getConnection: () => ({
          execute: async () => {
            throw new Error('database down');
          },
        }),
      },
    } as unknown as Orm;
    const gateway = new SandboxGateway({ orm: broken, faults: { probabilities: { unavailable: 1 }, burstMs: 10, slowMs: 0 } });
    expect(await failureOf(authorize(gateway, `${newId('pay')}:authorize`))).toBe('GatewayUnavailable');
  });

  it('when timeout_after_charge strikes, then the charge is recorded, the answer is lost once, and the retry under the key gets the first answer', async () => {
    const gateway = gatewayWith({ probabilities: { timeout_after_charge: 1 } }, []);
    const key = `${newId('pay')}:authorize`;
    expect(await failureOf(authorize(gateway, key))).toBe('GatewayTimeout');
    const [recorded] = await operationsOf(orm, key);
    expect(recorded).toMatchObject({ attempts: 1, outcome: 'captured' });
    expect(await authorize(gateway, key)).toEqual({ reference: recorded.id, capturedMinor: 500 });
    expect(await operationsOf(orm, key)).toEqual([{ id: recorded.id, attempts: 2, outcome: 'captured' }]);
    expect((await faultsOf(orm, key)).map((fault) => fault.kind)).toEqual(['timeout_after_charge']);
  });

  it('when slow strikes, then the operation and the fault are recorded before the wait', async () => {
    const key = `${newId('pay')}:authorize`;
    const seenAtSleep: { ms: number; operations: number; faults: string[] }[] = [];
    const gateway = gatewayWith({ probabilities: { slow: 1 }, slowMs: 1234 }, [], undefined, async (ms) => {
      seenAtSleep.push({
        ms,
        operations: (await operationsOf(orm, key)).length,
        faults: (await faultsOf(orm, key)).map((fault) => fault.kind),
      });
    });
    expect(await failureOf(authorize(gateway, key))).toBe('answered');
    expect(seenAtSleep).toEqual([{ ms: 1234, operations: 1, faults: ['slow'] }]);
  });
});

describe('timeout_after_charge:1 on the real stack', () => {
  let stack: TestStack;
  let merchant: TestMerchant;
  useTestStack((started) => ({ stack, merchant } = started), { env: { SANDBOX_FAULTS: 'timeout_after_charge:1' } });

  it('when every charge loses its answer once, then the payment and its refund still succeed with one gateway operation per key', async () => {
    const payment = await stack.request('POST', '/v1/payments', {
      apiKey: merchant.apiKey,
      body: { amount: 25, currency: 'USD', source: 'tok_visa' },
    });
    expect(payment.status).toBe(201);
    expect(payment.body).toMatchObject({ status: 'succeeded', amount_received: 25 });
    const key = `${payment.body.id}:authorize`;
    expect(await operationsOf(stack.orm, key)).toEqual([expect.objectContaining({ attempts: 2, outcome: 'captured' })]);
    expect(await faultsOf(stack.orm, key)).toEqual([
      expect.objectContaining({ kind: 'timeout_after_charge', operation: 'authorize', pid: process.pid }),
    ]);

    const refund = await stack.request('POST', '/v1/refunds', {
      apiKey: merchant.apiKey,
      body: { payment_id: payment.body.id, amount: 10 },
    });
    expect(refund.body).toMatchObject({ status: 'succeeded', amount: 10 });
    const refunds = await stack.orm.em.getConnection().execute<{ idempotency_key: string; attempts: number }[]>(
      `select r.idempotency_key, r.attempts from sandbox_gateway_operations r join sandbox_gateway_operations a on a.id = r.authorization_id
        where r.operation = 'refund' and a.idempotency_key = ?`,
      [key],
    );
    expect(refunds).toEqual([expect.objectContaining({ attempts: 2 })]);
    expect((await faultsOf(stack.orm, refunds[0].idempotency_key)).map((fault) => [fault.kind, fault.operation])).toEqual([
      ['timeout_after_charge', 'refund'],
    ]);
  });
});

describe('unavailable:1 on the real stack', () => {
  let stack: TestStack;
  let merchant: TestMerchant;
  useTestStack((started) => ({ stack, merchant } = started), {
    env: { SANDBOX_FAULTS: 'unavailable:1', SANDBOX_FAULT_BURST_MS: '200', PAYMENT_SYNC_WAIT: '1s' },
  });

  it('when the gateway is unavailable, then nothing is charged and the payment waits; once it is back, the payment succeeds', async () => {
    const created = await stack.request('POST', '/v1/payments', {
      apiKey: merchant.apiKey,
      body: { amount: 30, currency: 'USD', source: 'tok_visa' },
    });
    expect(created.status).toBe(202);
    const key = `${created.body.id}:authorize`;
    const faults = await eventually(async () => {
      const rows = await faultsOf(stack.orm, key);
      return rows.length >= 2 ? rows : undefined;
    }, 15_000);
    expect(faults.every((fault) => fault.kind === 'unavailable' && fault.operation === 'authorize')).toBe(true);
    expect(await operationsOf(stack.orm, key)).toEqual([]);
    expect((await stack.request('GET', `/v1/payments/${created.body.id}`, { apiKey: merchant.apiKey })).body.status).toBe('processing');

    // The gateway recovers: a worker without faults takes over the activity's retries.
    await stack.stopWorker();
    stack.config.sandbox.faults = undefined;
    await stack.startWorker();
    const settled = await waitForPayment(stack, merchant, created.body.id, (payment) => payment.status !== 'processing', {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    expect(settled).toMatchObject({ status: 'succeeded', amount_received: 30 });
    expect(await operationsOf(stack.orm, key)).toEqual([expect.objectContaining({ attempts: 1, outcome: 'captured' })]);
  });
});

describe('slow:1 on the real stack', () => {
  let stack: TestStack;
  let merchant: TestMerchant;
  useTestStack((started) => ({ stack, merchant } = started), { env: { SANDBOX_FAULTS: 'slow:1', SANDBOX_FAULT_SLOW_MS: '1500' } });

  it('when answers are slow, then the payment answers after the delay and the fault was recorded before it', async () => {
    const started = Date.now();
    const payment = await stack.request('POST', '/v1/payments', {
      apiKey: merchant.apiKey,
      body: { amount: 40, currency: 'USD', source: 'tok_visa' },
    });
    const answeredAt = Date.now();
    expect(payment.body).toMatchObject({ status: 'succeeded' });
    expect(answeredAt - started).toBeGreaterThanOrEqual(1500);
    const [fault] = await faultsOf(stack.orm, `${payment.body.id}:authorize`);
    expect(fault).toMatchObject({ kind: 'slow', operation: 'authorize', pid: process.pid });
    expect(answeredAt - new Date(fault.created_at).getTime()).toBeGreaterThanOrEqual(1400);
  });
});
