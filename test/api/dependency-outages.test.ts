import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as PgClient } from 'pg';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { dependencyOutage } from '../../src/api/transient-failures';
import { initOrm } from '../../src/db/orm';
import { inTransaction } from '../../src/db/sql';
import { MerchantEntity } from '../../src/merchants/merchant-record';
import { ApiError } from '../../src/shared/api-error';
import { temporalUnavailable } from '../../src/temporal/temporal-errors';
import { eventually, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { startWebhookReceiver } from '../support/webhook-receiver';
import { createPayment, waitForPayment } from '../support/api-calls';

// Every connection this file's API, worker and listeners open carries this name (pg reads PGAPPNAME), so
// terminating "the API's connections" touches nothing else; the files run one after another anyway.
const APP = `outage-test-${process.pid}`;
process.env.PGAPPNAME = APP;

let stack: TestStack;
let merchant: TestMerchant;
const logLines: string[] = [];
useTestStack((started) => ({ stack, merchant } = started), {
  env: { LOG_LEVEL: 'warn' },
  logDestination: { write: (line) => void logLines.push(line) },
});

// The test's own connections, named otherwise: they assert and they pull the plug.
let admin: PgClient;
async function connectAs(name: string): Promise<PgClient> {
  const client = new PgClient({ connectionString: stack.config.database.url, application_name: name });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
beforeAll(async () => {
  admin = await connectAs('outage-test-admin');
});
afterAll(async () => {
  await admin?.end();
  delete process.env.PGAPPNAME;
});

async function count(sql: string, params: unknown[]): Promise<number> {
  return (await admin.query(sql, params)).rows[0].n;
}
// The sandbox's books: one charge (an authorization, captured with it) per payment, whatever was retried.
const gatewayOperationsFor = async (paymentId: string) =>
  (
    await admin.query(
      `select operation, count(*)::int as n from sandbox_gateway_operations where idempotency_key like $1 group by operation order by operation`,
      [`${paymentId}:%`],
    )
  ).rows;
const ONE_CHARGE = [{ operation: 'authorize', n: 1 }];
const ledgerEntriesFor = (paymentId: string) => count(`select count(*)::int as n from ledger_entries where source_id = $1`, [paymentId]);
const retriesLogged = () => logLines.filter((line) => line.includes('running the request again')).length;

// A terminated backend still shows (waiting) for a moment: each is terminated once.
const terminated = new Set<number>();

/** Terminates this file's backends that wait on a lock while running a query like `pattern`, once one shows up; resolves with how many. */
async function terminateBlocked(pattern: string): Promise<number> {
  return eventually(
    async () => {
      const { rows } = await admin.query(
        `select pid, pg_terminate_backend(pid) as done from pg_stat_activity
        where application_name = $1 and wait_event_type = 'Lock' and query ilike $2 and not (pid = any($3::int[]))`,
        [APP, pattern, [...terminated]],
      );
      for (const row of rows) terminated.add(row.pid);
      return rows.length > 0 ? rows.length : undefined;
    },
    10_000,
    20,
  );
}

/** Runs `work` while its own connection holds `lock table <table> in <mode> mode`; the lock goes whatever happens. */
async function whileLocked<T>(table: string, mode: string, work: () => Promise<T>): Promise<T> {
  const locker = await connectAs('outage-test-locker');
  try {
    await locker.query('begin');
    await locker.query(`lock table ${table} in ${mode} mode`);
    return await work();
  } finally {
    await locker.end();
  }
}

const paymentBody = { amount: 12.34, currency: 'USD', source: 'tok_visa', description: 'outage' };

describe('the classifier of dependency outages, on real failures', () => {
  it('when PostgreSQL drops or refuses a connection, then every form the error takes is an outage; other database errors are not', async () => {
    const orm = await initOrm({ url: stack.config.database.url as string, poolMax: 2 });
    const captured: Record<string, unknown> = {};
    try {
      // MikroORM's entity path (it wraps the driver's error) and the raw transaction path, each killed mid-query.
      captured.mikroOrmFind = await whileLocked('merchants', 'access exclusive', async () => {
        const blocked = orm.em
          .fork()
          .findOne(MerchantEntity, { id: merchant.id })
          .catch((error) => error);
        await terminateBlocked('%from "merchants"%');
        return blocked;
      });
      captured.rawTransaction = await whileLocked('merchants', 'access exclusive', async () => {
        const blocked = inTransaction(orm, (sql) => sql.query('select id from merchants where id = ?', [merchant.id])).catch(
          (error) => error,
        );
        await terminateBlocked('select id from merchants%');
        return blocked;
      });
      // A client whose connection was terminated while idle, used again.
      const idle = new PgClient({ connectionString: stack.config.database.url, application_name: 'outage-test-idle' });
      const lost = new Promise((resolve) => idle.on('error', resolve));
      await idle.connect();
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'outage-test-idle'`);
      captured.idleTerminated = await lost;
      captured.idleReused = await idle.query('select 1').catch((error) => error);
      // Nothing listening (the server is down or not yet up).
      captured.refused = await new PgClient({ connectionString: 'postgres://nobody@127.0.0.1:1/none' }).connect().catch((error) => error);
      // Errors that are the request's or the code's fault, not an outage.
      captured.divisionByZero = await orm.em
        .fork()
        .getConnection()
        .execute('select 1/0')
        .catch((error) => error);
      captured.unknownTable = await orm.em
        .fork()
        .getConnection()
        .execute('select * from no_such_table')
        .catch((error) => error);
    } finally {
      await orm.close(true);
    }
    const classified = Object.fromEntries(Object.entries(captured).map(([name, error]) => [name, dependencyOutage(error)]));
    expect(classified).toEqual({
      mikroOrmFind: 'database',
      rawTransaction: 'database',
      idleTerminated: 'database',
      idleReused: 'database',
      refused: 'database',
      divisionByZero: undefined,
      unknownTable: undefined,
    });
    expect(captured.mikroOrmFind).toMatchObject({ name: 'DriverException', code: '57P01' });
    expect(dependencyOutage(ApiError.notFound('Payment not found'))).toBeUndefined();
  });

  it("when Temporal cannot be reached, then the client's error and the 503 made from it are Temporal outages", async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200 });
    const client = new TemporalClient({ connection });
    const error = await client.workflow
      .getHandle('no-such-workflow')
      .describe()
      .catch((failure) => failure);
    await connection.close().catch(() => undefined);
    expect(dependencyOutage(error)).toBe('temporal');
    expect(dependencyOutage(temporalUnavailable(error))).toBe('temporal');
  }, 60_000);
});

describe("requests while PostgreSQL drops the API's connections", () => {
  it('when a read loses its connection mid-query, then it is run again and answers as without the fault', async () => {
    const payment = await createPayment(stack, merchant, { ...paymentBody, idempotencyKey: 'outage-read', raw: true });
    expect(payment.status).toBe(201);
    const retriesBefore = retriesLogged();
    const read = await whileLocked('payments', 'access exclusive', async () => {
      const pending = stack.request('GET', `/v1/payments/${payment.body.id}`, { apiKey: merchant.apiKey });
      await terminateBlocked('%from "payments"%');
      await terminateBlocked('%from "payments"%');
      return { pending };
    });
    const response = await read.pending;
    expect(response.status).toBe(200);
    expect(response.body).toEqual((await stack.request('GET', `/v1/payments/${payment.body.id}`, { apiKey: merchant.apiKey })).body);
    expect(retriesLogged() - retriesBefore).toBeGreaterThanOrEqual(2);
  });

  it('when a keyed payment loses its connection after its key was claimed and its workflow started, then the re-run completes it: one payment, one charge, one ledger entry', async () => {
    const own = await stack.createMerchant('Keyed outage');
    const retriesBefore = retriesLogged();
    const created = await whileLocked('payments', 'exclusive', async () => {
      const pending = createPayment(stack, own, { ...paymentBody, idempotencyKey: 'outage-keyed', raw: true });
      await terminateBlocked('insert into payments%');
      await terminateBlocked('insert into payments%');
      return { pending };
    });
    const response = await created.pending;
    expect([201, 202]).toContain(response.status);
    expect(retriesLogged()).toBeGreaterThan(retriesBefore);
    const paymentId = response.body.id;
    const settled = await waitForPayment(stack, own, paymentId, 'succeeded');
    expect(settled).toMatchObject({ amount: 12.34, currency: 'USD' });
    expect(await count('select count(*)::int as n from payments where merchant_id = $1', [own.id])).toBe(1);
    expect(await gatewayOperationsFor(paymentId)).toEqual(ONE_CHARGE);
    expect(await ledgerEntriesFor(paymentId)).toBe(1);
    // The key still answers with the same payment.
    expect((await createPayment(stack, own, { ...paymentBody, idempotencyKey: 'outage-keyed', raw: true })).body.id).toBe(paymentId);
  });

  it('when a payment without an Idempotency-Key loses its connection, then 503 with Retry-After telling to send a key, never a 500, and what ran is whole', async () => {
    const own = await stack.createMerchant('Keyless outage');
    const response = await whileLocked('payments', 'exclusive', async () => {
      const pending = createPayment(stack, own, { ...paymentBody, raw: true });
      await terminateBlocked('insert into payments%');
      return pending;
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(response.body).toMatchObject({ code: 'service_unavailable', request_id: response.headers.get('request-id') });
    expect(response.body.error).toMatch(/Idempotency-Key/);
    expect(logLines.some((line) => line.includes('"level":50') && line.includes('unhandled error'))).toBe(false);
    // The workflow had started: the payment completes whole, exactly once.
    const [payment] = await eventually(async () => {
      const { rows } = await admin.query(`select id, status from payments where merchant_id = $1 and status = 'succeeded'`, [own.id]);
      return rows.length > 0 ? rows : undefined;
    });
    expect(await count('select count(*)::int as n from payments where merchant_id = $1', [own.id])).toBe(1);
    expect(await gatewayOperationsFor(payment.id)).toEqual(ONE_CHARGE);
    expect(await ledgerEntriesFor(payment.id)).toBe(1);
  });

  it('when a keyed capture loses its connection mid-request, then it is run again and captures once; the same without a key is a 503 and captures nothing', async () => {
    const own = await stack.createMerchant('Capture outage');
    const authorizeOne = async () =>
      (await createPayment(stack, own, { ...paymentBody, capture: false, expectStatus: 'requires_capture' })).id;
    const [keyedId, keylessId] = [await authorizeOne(), await authorizeOne()];
    const capture = (id: string, key?: string) =>
      stack.request('POST', `/v1/payments/${id}/capture`, { apiKey: own.apiKey, body: {}, headers: key ? { 'Idempotency-Key': key } : {} });
    const duringOutage = (id: string, key?: string) =>
      whileLocked('payments', 'access exclusive', async () => {
        const pending = capture(id, key);
        await terminateBlocked('%from "payments"%');
        return { pending };
      });

    const retriesBefore = retriesLogged();
    const keyed = await (await duringOutage(keyedId, 'outage-capture')).pending;
    expect(keyed.status).toBe(200);
    expect(keyed.body).toMatchObject({ id: keyedId, status: 'succeeded', amount_received: 12.34 });
    expect(retriesLogged()).toBeGreaterThan(retriesBefore);
    expect((await gatewayOperationsFor(keyedId)).map((row) => row.operation)).toEqual(['authorize', 'capture']);

    const keyless = await (await duringOutage(keylessId)).pending;
    expect(keyless.status).toBe(503);
    expect(keyless.body.error).toMatch(/Idempotency-Key/);
    expect((await stack.request('GET', `/v1/payments/${keylessId}`, { apiKey: own.apiKey })).body.status).toBe('requires_capture');
    expect((await gatewayOperationsFor(keylessId)).map((row) => row.operation)).toEqual(['authorize']);
  });

  it('when connections are terminated again and again during a burst, then every read and keyed create succeeds and each keyed payment exists once', async () => {
    const own = await stack.createMerchant('Burst outage');
    const existing = await createPayment(stack, own, { ...paymentBody, idempotencyKey: 'burst-existing', raw: true });
    const retriesBefore = retriesLogged();
    let killing = true;
    let kills = 0;
    // Two seconds of connections dropped 50 times a second: a short outage, not a permanent one.
    const stopKillingAt = Date.now() + 2_000;
    const killer = (async () => {
      while (killing && Date.now() < stopKillingAt) {
        kills +=
          (await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [APP])).rowCount ?? 0;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const keys = Array.from({ length: 8 }, (_, index) => `burst-${index}`);
    let responses;
    try {
      responses = await Promise.all([
        ...keys.map((key) =>
          createPayment(stack, own, { ...paymentBody, idempotencyKey: key, raw: true }).then((response) => ({ kind: 'create', response })),
        ),
        ...Array.from({ length: 12 }, (_, index) =>
          stack
            .request('GET', index % 2 ? '/v1/payments?limit=5' : `/v1/payments/${existing.body.id}`, { apiKey: own.apiKey })
            .then((response) => ({ kind: 'read', response })),
        ),
      ]);
    } finally {
      killing = false;
      await killer;
    }
    expect(kills).toBeGreaterThan(0);
    // The burst did hit requests mid-query (else it proves nothing), and each such request was run again.
    expect(retriesLogged()).toBeGreaterThan(retriesBefore);
    const failed = responses.filter(({ kind, response }) =>
      kind === 'read' ? response.status !== 200 : ![201, 202].includes(response.status),
    );
    expect(failed.map(({ kind, response }) => ({ kind, status: response.status, body: response.body }))).toEqual([]);
    const ids = responses.filter((r) => r.kind === 'create').map((r) => r.response.body.id);
    expect(new Set(ids).size).toBe(keys.length);
    for (const id of ids) {
      await waitForPayment(stack, own, id, 'succeeded');
      expect(await gatewayOperationsFor(id)).toEqual(ONE_CHARGE);
      expect(await ledgerEntriesFor(id)).toBe(1);
    }
    expect(await count('select count(*)::int as n from payments where merchant_id = $1', [own.id])).toBe(keys.length + 1);
  });
});

describe('LISTEN connections after PostgreSQL dropped them', () => {
  it('when every LISTEN connection is terminated, then each comes back and the dispatcher still delivers webhooks', async () => {
    const listeners = async () =>
      (
        await admin.query(`select pid, query from pg_stat_activity where application_name = $1 and query ilike 'listen %' order by query`, [
          APP,
        ])
      ).rows;
    // Earlier tests dropped them too: wait until all five are back (the webhook and the receipt dispatchers each listen
    // for events; OAuth token revocations have their own channel).
    const before = await eventually(async () => {
      const rows = await listeners();
      return rows.length === 5 ? rows : undefined;
    }, 15_000);
    expect(before.map((row) => row.query)).toEqual([
      'listen api_key_revoked',
      'listen event_recorded',
      'listen event_recorded',
      'listen oauth_token_revoked',
      'listen payment_decided',
    ]);
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and query ilike 'listen %'`, [
      APP,
    ]);
    const after = await eventually(async () => {
      const rows = await listeners();
      return rows.length === 5 && rows.every((row) => !before.some((old) => old.pid === row.pid)) ? rows : undefined;
    }, 15_000);
    expect(after.map((row) => row.query)).toEqual(before.map((row) => row.query));

    const receiver = await startWebhookReceiver({});
    try {
      const own = await stack.createMerchant('Listener outage');
      const endpoint = await stack.request('POST', '/v1/webhook_endpoints', {
        apiKey: own.apiKey,
        body: { url: receiver.url('/after-outage'), enabled_events: ['payment.succeeded'] },
      });
      expect(endpoint.status).toBe(201);
      const payment = await createPayment(stack, own, { ...paymentBody, idempotencyKey: 'listener-outage', raw: true });
      expect(payment.status).toBe(201);
      const delivered = await eventually(async () =>
        receiver.received('/after-outage').find((hook) => JSON.parse(hook.body).data.object.id === payment.body.id),
      );
      expect(JSON.parse(delivered.body).type).toBe('payment.succeeded');
    } finally {
      await receiver.close();
    }
  });
});
