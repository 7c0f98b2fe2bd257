import { describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { TEST_ADMIN_KEY, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { createPayment, createRefund } from '../support/api-calls';
import { sqlFor } from '../../src/db/sql';
import { sandboxSettlementReport } from '../../src/gateways/sandbox/sandbox-settlement-report';
import { parseSettlementCsv } from '../../src/reconciliation/settlement-csv';
import { randomBase62 } from '../../src/shared/ids';
import { utcDayBefore } from '../../src/shared/utc-days';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started));

const HEADER = 'gateway_reference,amount,currency,date';
const db = () => stack.orm.em.getConnection();

/** The gateway's reference for a payment or refund, and the UTC day its ledger entry was posted on (a settlement file dates rows by it). */
async function settled(sourceId: string): Promise<{ reference: string; day: string }> {
  const [row] = await db().execute<{ reference: string; day: string }[]>(
    `select coalesce(p.gateway_reference, r.gateway_reference) as reference, to_char(e.created_at at time zone 'UTC', 'YYYY-MM-DD') as day
       from ledger_entries e left join payments p on p.id = e.source_id left join refunds r on r.id = e.source_id
      where e.source_id = ? and e.source_type in ('payment', 'refund')`,
    [sourceId],
  );
  expect(row?.reference, `ledger entry of ${sourceId}`).toBeTruthy();
  return row;
}

const upload = (apiKey: string, body: unknown, headers: Record<string, string> = {}) =>
  stack.request('POST', '/v1/reconciliations', { apiKey, body, headers });
const uploadCsv = (apiKey: string, csv: string, { query = '', headers = {} }: { query?: string; headers?: Record<string, string> } = {}) =>
  stack.request('POST', `/v1/reconciliations${query}`, { apiKey, rawBody: csv, headers: { 'content-type': 'text/csv', ...headers } });

async function eventsFor(apiKey: string, type: string, reconciliationId: string): Promise<unknown[]> {
  const response = await stack.request('GET', `/v1/events?type=${type}&limit=100`, { apiKey });
  expect(response.status).toBe(200);
  return response.body.data.filter((event: { data: { object: { id: string } } }) => event.data.object.id === reconciliationId);
}

async function runsOf(merchantId: string): Promise<number> {
  const [row] = await db().execute(`select count(*)::int as n from reconciliations where merchant_id = ?`, [merchantId]);
  return row.n;
}

interface Scenario {
  own: TestMerchant;
  csv: string;
  refs: { p1: string; p2: string; p3: string; p4: string; r1: string };
  ids: { p3: string; p4: string; r1: string };
}

/** 4 captured payments and 1 refund; a file listing 2 payments and the refund right, one payment with a wrong amount, one left out, one unknown reference. */
async function scenario(): Promise<Scenario> {
  const own = await stack.createMerchant('Reconciling merchant');
  const [p1, p2, p3, p4] = [
    await createPayment(stack, own, { amount: 10 }),
    await createPayment(stack, own, { amount: 20 }),
    await createPayment(stack, own, { amount: 30 }),
    await createPayment(stack, own, { amount: 40 }),
  ];
  const r1 = await createRefund(stack, own, p1.id, { amount: 5, expectStatus: 'succeeded' });
  const [s1, s2, s3, s4, sr] = await Promise.all([p1, p2, p3, p4, r1].map((object) => settled(object.id)));
  const csv =
    [
      HEADER,
      `${s1.reference},10.00,USD,${s1.day}`,
      `${s2.reference},20.00,USD,${s2.day}`,
      `${sr.reference},-5.00,USD,${sr.day}`,
      `${s3.reference},33.00,USD,${s3.day}`,
      `ch_unknown_${randomBase62(8)},12.34,USD,${s1.day}`,
    ].join('\r\n') + '\r\n';
  return {
    own,
    csv,
    refs: { p1: s1.reference, p2: s2.reference, p3: s3.reference, p4: s4.reference, r1: sr.reference },
    ids: { p3: p3.id, p4: p4.id, r1: r1.id },
  };
}

function expectMustShowResult(body: any, { refs, ids }: Scenario): void {
  expect(body).toMatchObject({ object: 'reconciliation', status: 'discrepancies_found', source: 'upload', file_rows: 5 });
  expect(body.id).toMatch(/^rec_/);
  expect(body.summary).toEqual({ matched: 3, amount_mismatch: 1, missing_in_settlement: 1, missing_in_ledger: 1 });
  expect(body.items).toHaveLength(6);
  const byCategory = (category: string) => body.items.filter((item: { category: string }) => item.category === category);
  expect(
    byCategory('matched')
      .map((item: { gateway_reference: string }) => item.gateway_reference)
      .sort(),
  ).toEqual([refs.p1, refs.p2, refs.r1].sort());
  const refundItem = byCategory('matched').find((item: { gateway_reference: string }) => item.gateway_reference === refs.r1);
  expect(refundItem.ledger).toMatchObject({ source_type: 'refund', source_id: ids.r1, amount: -5, currency: 'USD' });
  expect(byCategory('amount_mismatch')).toEqual([
    expect.objectContaining({
      gateway_reference: refs.p3,
      settlement: expect.objectContaining({ amount: 33, currency: 'USD', line: 5 }),
      ledger: expect.objectContaining({ amount: 30, currency: 'USD', source_type: 'payment', source_id: ids.p3 }),
    }),
  ]);
  expect(byCategory('missing_in_settlement')).toEqual([
    expect.objectContaining({
      gateway_reference: refs.p4,
      settlement: null,
      ledger: expect.objectContaining({ amount: 40, source_id: ids.p4 }),
    }),
  ]);
  expect(byCategory('missing_in_ledger')).toEqual([
    expect.objectContaining({
      gateway_reference: expect.stringMatching(/^ch_unknown_/),
      ledger: null,
      settlement: expect.objectContaining({ amount: 12.34, line: 6 }),
    }),
  ]);
}

describe('reconciliation of a settlement file against the merchant ledger', () => {
  it('when the file gets 3 right, one amount wrong, leaves a payment out and adds an unknown reference, then each lands in its category and discrepancies are announced', async () => {
    const setup = await scenario();
    const response = await upload(setup.own.apiKey, { file: setup.csv });
    expect(response.status).toBe(201);
    expectMustShowResult(response.body, setup);

    const fetched = await stack.request('GET', `/v1/reconciliations/${response.body.id}`, { apiKey: setup.own.apiKey });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(response.body);
    const list = await stack.request('GET', '/v1/reconciliations', { apiKey: setup.own.apiKey });
    expect(list.body.data.map((run: { id: string }) => run.id)).toEqual([response.body.id]);
    expect(list.body.data[0].items).toBeUndefined();

    expect(await eventsFor(setup.own.apiKey, 'reconciliation.completed', response.body.id)).toHaveLength(1);
    const [event] = (await eventsFor(setup.own.apiKey, 'reconciliation.discrepancies_found', response.body.id)) as {
      data: { object: unknown };
    }[];
    expect(event.data.object).toMatchObject({ id: response.body.id, summary: response.body.summary });
  });

  it('when the same file arrives as a raw text/csv body, then the result is the same, and its Idempotency-Key answers a retry with the same run', async () => {
    const setup = await scenario();
    const key = `settlement-${randomBase62(8)}`;
    const first = await uploadCsv(setup.own.apiKey, setup.csv, { headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(201);
    expectMustShowResult(first.body, setup);
    const again = await uploadCsv(setup.own.apiKey, setup.csv, { headers: { 'Idempotency-Key': key } });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await runsOf(setup.own.id)).toBe(1);
    const otherFile = await uploadCsv(setup.own.apiKey, `${HEADER}\n`, {
      query: '?period_start=2026-01-01&period_end=2026-01-01',
      headers: { 'Idempotency-Key': key },
    });
    expect(otherFile.status).toBe(422);
    expect(otherFile.body.code).toBe('idempotency_key_reused');
  });

  it('when every row matches, then the run is reconciled and no discrepancies event is recorded', async () => {
    const own = await stack.createMerchant('Clean books');
    const payments = [await createPayment(stack, own, { amount: 12.5 }), await createPayment(stack, own, { amount: 7 })];
    const rows = await Promise.all(payments.map((payment) => settled(payment.id)));
    const csv = [HEADER, `${rows[0].reference},12.50,USD,${rows[0].day}`, `${rows[1].reference},7.00,USD,${rows[1].day}`].join('\n');
    const response = await upload(own.apiKey, { file: csv });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      status: 'reconciled',
      summary: { matched: 2, amount_mismatch: 0, missing_in_ledger: 0, missing_in_settlement: 0 },
    });
    expect(response.body.items.map((item: { category: string }) => item.category)).toEqual(['matched', 'matched']);
    expect(await eventsFor(own.apiKey, 'reconciliation.completed', response.body.id)).toHaveLength(1);
    expect(await eventsFor(own.apiKey, 'reconciliation.discrepancies_found', response.body.id)).toEqual([]);
  });

  it('when the period is given and the ledger has a capture in it that the file lacks, then it is missing_in_settlement; an empty file needs the period', async () => {
    const own = await stack.createMerchant('Empty settlement');
    const payment = await createPayment(stack, own, { amount: 9.99 });
    const { day, reference } = await settled(payment.id);
    const noPeriod = await upload(own.apiKey, { file: `${HEADER}\n` });
    expect(noPeriod.status).toBe(400);
    expect(noPeriod.body).toMatchObject({ code: 'parameter_missing', param: 'period_start' });
    const response = await uploadCsv(own.apiKey, `${HEADER}\n`, { query: `?period_start=${day}&period_end=${day}` });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      period_start: day,
      period_end: day,
      file_rows: 0,
      summary: { matched: 0, missing_in_settlement: 1 },
    });
    expect(response.body.items[0]).toMatchObject({
      category: 'missing_in_settlement',
      gateway_reference: reference,
      ledger: { amount: 9.99 },
    });
  });
});

describe('a malformed settlement file is a 400 naming the line and column, and nothing is stored', () => {
  const row = (reference: string, amount = '10.00', currency = 'USD', date = '2026-11-20') => `${reference},${amount},${currency},${date}`;
  it.each([
    ['a wrong header', 1, 1, 'gateway_reference', `reference,amount,currency,date\n${row('ch_1')}`],
    ['a header missing a column', 1, 4, 'date', `gateway_reference,amount,currency\n${row('ch_1')}`],
    ['an empty file', 1, 1, 'gateway_reference', ''],
    ['three decimals in USD', 2, 2, 'amount', `${HEADER}\n${row('ch_1', '10.001')}`],
    ['decimals in JPY', 3, 2, 'amount', `${HEADER}\n${row('ch_1')}\n${row('ch_2', '100.5', 'JPY')}`],
    ['an amount that is not a number', 2, 5, null, `${HEADER}\n${row('ch_1', '1,000.00')}`],
    ['an amount in words', 2, 2, 'amount', `${HEADER}\n${row('ch_1', 'ten')}`],
    ['a zero amount', 2, 2, 'amount', `${HEADER}\n${row('ch_1', '0.00')}`],
    ['an unknown currency', 2, 3, 'currency', `${HEADER}\n${row('ch_1', '10.00', 'XXX')}`],
    ['a lowercase currency', 2, 3, 'currency', `${HEADER}\n${row('ch_1', '10.00', 'usd')}`],
    ['a date that does not exist', 2, 4, 'date', `${HEADER}\n${row('ch_1', '10.00', 'USD', '2026-02-30')}`],
    ['a date in another format', 2, 4, 'date', `${HEADER}\n${row('ch_1', '10.00', 'USD', '20/11/2026')}`],
    ['a duplicate reference', 4, 1, 'gateway_reference', `${HEADER}\n${row('ch_1')}\n${row('ch_2')}\n${row('ch_1', '5.00')}`],
    ['a missing field', 3, 4, 'date', `${HEADER}\n${row('ch_1')}\nch_2,10.00,USD`],
    ['an empty reference', 2, 1, 'gateway_reference', `${HEADER}\n${row('')}`],
    ['an unclosed quote', 2, 1, 'gateway_reference', `${HEADER}\n"ch_1,10.00,USD,2026-11-20`],
    ['a blank line between rows', 3, 1, 'gateway_reference', `${HEADER}\n${row('ch_1')}\n\n${row('ch_2')}`],
  ] as const)('when the file has %s, then 400 at line %i, column %i', async (_case, line, column, columnName, file) => {
    const before = await runsOf(merchant.id);
    const response = await upload(merchant.apiKey, { file });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'invalid_settlement_file', param: 'file', line, column, column_name: columnName });
    expect(response.body.error).toContain(`Line ${line}, column ${column}`);
    expect(await runsOf(merchant.id)).toBe(before);
  });

  it('when a malformed file comes as text/csv, then the same 400 names its line and column', async () => {
    const response = await uploadCsv(merchant.apiKey, `${HEADER}\r\n${row('ch_1')}\r\n${row('ch_2', '5.5.5')}\r\n`);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'invalid_settlement_file', line: 3, column: 2, column_name: 'amount' });
  });

  it('when a row is dated outside the period given, then 400 names its date column', async () => {
    const response = await upload(merchant.apiKey, {
      file: `${HEADER}\n${row('ch_1', '1.00', 'USD', '2026-11-20')}\n${row('ch_2', '1.00', 'USD', '2026-11-22')}`,
      period_start: '2026-11-20',
      period_end: '2026-11-21',
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'invalid_settlement_file', line: 3, column: 4, column_name: 'date' });
  });

  it.each([
    [{ file: HEADER, period_start: '2026-11-21', period_end: '2026-11-20' }, 'period_end', 'parameter_invalid'],
    [{ file: HEADER, period_start: '2026-11-31', period_end: '2026-12-01' }, 'period_start', 'parameter_invalid'],
    [{ file: HEADER, period_start: '2026-01-01', period_end: '2026-12-31' }, 'period_end', 'parameter_invalid'],
    [{ file: 42 }, 'file', 'parameter_invalid'],
    [{}, 'file', 'parameter_missing'],
    [{ file: HEADER, merchant_id: 'mer_x' }, 'merchant_id', 'parameter_unknown'],
  ])('when the JSON body is %j, then 400 names %s', async (body, param, code) => {
    const response = await upload(merchant.apiKey, body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ param, code });
  });

  it('when the body is neither JSON nor CSV, or the CSV is over 5 MB, then 415 and 413', async () => {
    const plain = await stack.request('POST', '/v1/reconciliations', {
      apiKey: merchant.apiKey,
      rawBody: HEADER,
      headers: { 'content-type': 'text/plain' },
    });
    expect(plain.status).toBe(415);
    expect(plain.body.error).toContain('text/csv');
    const huge = `${HEADER}\n${'x'.repeat(5 * 1024 * 1024)}`;
    const tooLarge = await uploadCsv(merchant.apiKey, huge);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.code).toBe('body_too_large');
    const latin1 = await uploadCsv(merchant.apiKey, HEADER, { headers: { 'content-type': 'text/csv; charset=iso-8859-1' } });
    expect(latin1.status).toBe(415);
  });
});

describe('who may read a reconciliation', () => {
  it("when a merchant asks for another merchant's reconciliation, or the admin route for a merchant's, then 404", async () => {
    const own = await stack.createMerchant('Owner');
    const payment = await createPayment(stack, own, { amount: 3 });
    const { reference, day } = await settled(payment.id);
    const created = await upload(own.apiKey, { file: `${HEADER}\n${reference},3.00,USD,${day}` });
    expect(created.status).toBe(201);
    expect((await stack.request('GET', `/v1/reconciliations/${created.body.id}`, { apiKey: own.apiKey })).status).toBe(200);
    const other = await stack.request('GET', `/v1/reconciliations/${created.body.id}`, { apiKey: merchant.apiKey });
    expect(other.status).toBe(404);
    expect(other.body).toEqual({
      error: 'Reconciliation not found',
      code: 'resource_missing',
      param: 'id',
      request_id: expect.any(String),
    });
    expect(
      (await stack.request('GET', '/v1/reconciliations', { apiKey: merchant.apiKey })).body.data.map((run: { id: string }) => run.id),
    ).not.toContain(created.body.id);
    expect((await stack.request('GET', `/v1/admin/reconciliations/${created.body.id}`, { apiKey: TEST_ADMIN_KEY })).status).toBe(404);
    expect((await stack.request('GET', '/v1/admin/reconciliations', { apiKey: own.apiKey })).status).toBe(401);
  });
});

describe("the daily reconciliation against the sandbox gateway's settlement report", () => {
  const runDaily = (day?: string) =>
    stack.client.workflow.execute('dailyReconciliationWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: `test-daily-reconciliation-${randomBase62(8)}`,
      args: [day === undefined ? {} : { day }],
    });

  it("when the sandbox's report for today is reconciled platform-wide, then this merchant's sales, captures and refunds all match, and an unknown gateway charge is flagged", async () => {
    const own = await stack.createMerchant('Sandbox settlement');
    const sale = await createPayment(stack, own, { amount: 25 });
    const authorized = await createPayment(stack, own, { amount: 50, capture: false });
    const captured = await stack.request('POST', `/v1/payments/${authorized.id}/capture`, { apiKey: own.apiKey, body: { amount: 45 } });
    expect(captured.body.status).toBe('succeeded');
    const refunded = await createRefund(stack, own, sale.id, { amount: 10, expectStatus: 'succeeded' });
    const ours = await Promise.all([sale.id, authorized.id, refunded.id].map((id) => settled(id)));
    const day = ours[0].day;
    // A charge the gateway settled that our books never recorded.
    const orphan = `ch_orphan_${randomBase62(10)}`;
    await db().execute(
      `insert into sandbox_gateway_operations (id, idempotency_key, operation, source, amount_minor, currency, outcome, created_at)
      values (?, ?, 'authorize', 'tok_visa', 777, 'USD', 'captured', ?)`,
      [orphan, `${orphan}:authorize`, `${day}T12:00:00Z`],
    );

    const report = parseSettlementCsv(await sandboxSettlementReport(sqlFor(stack.orm.em.fork()), day));
    const reportOf = (reference: string) => report.find((row) => row.reference === reference);
    expect(reportOf(ours[0].reference)).toMatchObject({ amountMinor: 2_500, currency: 'USD', date: day });
    expect(reportOf(ours[1].reference)).toMatchObject({ amountMinor: 4_500 });
    expect(reportOf(ours[2].reference)).toMatchObject({ amountMinor: -1_000 });

    const result = await runDaily(day);
    expect(result).toMatchObject({ day, reconciliationId: expect.stringMatching(/^rec_/), status: 'discrepancies_found' });
    const run = await stack.request('GET', `/v1/admin/reconciliations/${result.reconciliationId}`, { apiKey: TEST_ADMIN_KEY });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      merchant_id: null,
      source: 'gateway_report',
      gateway: 'sandbox',
      period_start: day,
      period_end: day,
      summary: result.summary,
    });
    const itemOf = (reference: string) =>
      run.body.items.filter((item: { gateway_reference: string }) => item.gateway_reference === reference);
    for (const { reference } of ours) expect(itemOf(reference)).toEqual([expect.objectContaining({ category: 'matched' })]);
    expect(itemOf(ours[2].reference)[0].ledger).toMatchObject({ merchant_id: own.id, source_type: 'refund', amount: -10 });
    expect(itemOf(orphan)).toEqual([
      expect.objectContaining({ category: 'missing_in_ledger', ledger: null, settlement: expect.objectContaining({ amount: 7.77 }) }),
    ]);

    const adminList = await stack.request('GET', '/v1/admin/reconciliations?limit=100', { apiKey: TEST_ADMIN_KEY });
    expect(adminList.body.data.map((entry: { id: string }) => entry.id)).toContain(result.reconciliationId);
    expect((await stack.request('GET', `/v1/reconciliations/${result.reconciliationId}`, { apiKey: own.apiKey })).status).toBe(404);
  });

  it('when the workflow runs for a day without activity, or for the default day, then it completes with a stored run; an impossible day fails it', async () => {
    const quiet = await runDaily('2020-01-01');
    expect(quiet).toMatchObject({
      day: '2020-01-01',
      status: 'reconciled',
      fileRows: 0,
      summary: { matched: 0, amount_mismatch: 0, missing_in_ledger: 0, missing_in_settlement: 0 },
    });
    const stored = await stack.request('GET', `/v1/admin/reconciliations/${quiet.reconciliationId}`, { apiKey: TEST_ADMIN_KEY });
    expect(stored.body).toMatchObject({ id: quiet.reconciliationId, status: 'reconciled', items: [] });

    const byDefault = await runDaily();
    expect([utcDayBefore(new Date()), utcDayBefore(new Date(Date.now() - 60_000))]).toContain(byDefault.day);

    const failure = await runDaily('2026-02-30').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(((failure as WorkflowFailedError).cause as { type?: string }).type).toBe('InvalidReconciliationDay');
  });
});
