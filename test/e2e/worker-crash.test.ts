import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestStack, type TestStack } from '../support/test-stack';
import { waitForPayment } from '../support/api-calls';

const ROOT = path.resolve(__dirname, '../..');
let stack: TestStack;
const workers: ChildProcess[] = [];

/** A real `npm run worker` process of its own, in its own process group so kill -9 reaches tsx's child too. */
function spawnWorker(extraEnv: Record<string, string>): ChildProcess {
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/main-worker.ts'], {
    cwd: ROOT,
    detached: true,
    stdio: 'ignore',
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      DATABASE_URL: stack.config.database.url,
      TEMPORAL_ADDRESS: stack.config.temporal.address,
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
      ...extraEnv,
    },
  });
  workers.push(child);
  return child;
}

function killHard(child: ChildProcess): void {
  process.kill(-(child.pid as number), 'SIGKILL');
}

beforeAll(async () => {
  stack = await startTestStack({ worker: false, env: { PAYMENT_SYNC_WAIT: '300ms' } });
});
afterAll(async () => {
  for (const child of workers) {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await stack?.close();
});

describe('a worker killed mid-payment', () => {
  it('when the worker dies after the gateway charged but before the activity reported, then a new worker completes the payment with one charge and one ledger entry', async () => {
    const merchant = await stack.createMerchant();
    // The first worker records each gateway operation, then stalls for a minute before answering: the crash window.
    const doomed = spawnWorker({ SANDBOX_RESPONSE_DELAY: '60s' });

    const created = await stack.request('POST', '/v1/payments', {
      apiKey: merchant.apiKey,
      body: { amount: 77.7, currency: 'USD', source: 'tok_visa' },
      headers: { 'Idempotency-Key': 'crash-test-1' },
    });
    expect(created.status).toBe(202);
    expect(created.body.status).toBe('processing');
    const paymentId: string = created.body.id;

    const charge = async () =>
      (
        await stack.orm.em
          .getConnection()
          .execute(`select outcome, attempts from sandbox_gateway_operations where idempotency_key = ?`, [`${paymentId}:authorize`])
      )[0];
    await eventually(charge, 60_000);
    killHard(doomed);

    spawnWorker({});
    const settled = await waitForPayment(stack, merchant, paymentId, (payment) => payment.status !== 'processing', {
      timeoutMs: 90_000,
      intervalMs: 250,
    });

    expect(settled).toMatchObject({ status: 'succeeded', amount_received: 77.7 });
    const operations = await stack.orm.em
      .getConnection()
      .execute(`select operation, outcome, attempts from sandbox_gateway_operations where idempotency_key like ?`, [`${paymentId}:%`]);
    expect(operations).toEqual([{ operation: 'authorize', outcome: 'captured', attempts: 2 }]);
    const entries = await stack.orm.em
      .getConnection()
      .execute(`select count(*)::int as n from ledger_entries where source_id = ?`, [paymentId]);
    expect(entries[0].n).toBe(1);
    const events = await stack.orm.em.getConnection().execute(`select type from events where object_id = ?`, [paymentId]);
    expect(events).toEqual([{ type: 'payment.succeeded' }]);

    // The client retries with the same key after the crash: same payment, still one charge.
    const retried = await stack.request('POST', '/v1/payments', {
      apiKey: merchant.apiKey,
      body: { amount: 77.7, currency: 'USD', source: 'tok_visa' },
      headers: { 'Idempotency-Key': 'crash-test-1' },
    });
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ id: paymentId, status: 'succeeded' });
  });
});
