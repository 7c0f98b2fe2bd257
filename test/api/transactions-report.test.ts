import http, { type IncomingMessage } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/sql';
import { batchQuery } from '../../src/reports/transaction-report-repository';
import { CURRENCY_EXPONENTS, formatMinor } from '../../src/shared/money';
import { useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { createPayment, createRefund, getPayment } from '../support/api-calls';
import { insertBulkPayments } from '../support/bulk-payments';
import { liveMemory } from '../support/live-memory';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started));

const COLUMNS = [
  'id',
  'created',
  'status',
  'amount',
  'amount_captured',
  'amount_refunded',
  'fee',
  'net',
  'currency',
  'capture_method',
  'description',
  'gateway_reference',
  'failure_code',
];
const FORMULA = '=HYPERLINK("https://evil.example","click"), line one\nline two';

/** A UTC day relative to today, as YYYY-MM-DD. */
function day(offset: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offset)).toISOString().slice(0, 10);
}

const report = (query: string, apiKey = merchant.apiKey) => stack.request('GET', `/v1/reports/transactions${query}`, { apiKey });
const toMinor = (major: number, currency: string) => Math.round(major * 10 ** CURRENCY_EXPONENTS[currency]);

/** RFC 4180: quoted fields may hold commas, CRLFs and doubled quotes. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += char;
  }
  expect(field, 'the last record ends with CRLF').toBe('');
  expect(record).toEqual([]);
  return records;
}

describe('GET /v1/reports/transactions', () => {
  const payments: Record<string, any> = {};
  let other: TestMerchant;
  let otherPayment: any;

  beforeAll(async () => {
    payments.succeeded = await createPayment(stack, merchant, {
      amount: '100.00',
      currency: 'USD',
      source: 'tok_visa',
      description: FORMULA,
    });
    payments.declined = await createPayment(stack, merchant, { amount: 25, currency: 'USD', source: 'tok_chargeDeclined' });
    payments.refunded = await createPayment(stack, merchant, {
      amount: 50,
      currency: 'USD',
      source: 'tok_visa',
      description: 'Refunded, in "full"',
    });
    expect((await createRefund(stack, merchant, payments.refunded.id)).status).toBe('succeeded');
    payments.uncaptured = await createPayment(stack, merchant, { amount: 20, currency: 'USD', source: 'tok_visa', capture: false });
    payments.yen = await createPayment(stack, merchant, {
      amount: 500,
      currency: 'JPY',
      source: 'tok_visa',
      description: '-5% launch discount',
    });
    payments.mastercard = await createPayment(stack, merchant, { amount: 30, currency: 'USD', source: 'tok_mastercard' });
    for (const [name, payment] of Object.entries(payments)) {
      payments[name] = await getPayment(stack, merchant, payment.id);
    }
    other = await stack.createMerchant('Another merchant');
    otherPayment = await createPayment(stack, other, { amount: 77, currency: 'USD', source: 'tok_visa', description: 'not yours' });
  });

  /** The row the report must show for a payment, from the payment as the API shows it and its stored gateway reference. */
  async function expectedRow(payment: any) {
    const [{ gateway_reference }] = await stack.orm.em
      .getConnection()
      .execute('select gateway_reference from payments where id = ?', [payment.id]);
    const netMinor =
      toMinor(payment.amount_received, payment.currency) -
      toMinor(payment.amount_refunded, payment.currency) -
      toMinor(payment.fee, payment.currency);
    return {
      id: payment.id,
      created: payment.created_at,
      status: payment.status,
      amount: payment.amount,
      amount_captured: payment.amount_received,
      amount_refunded: payment.amount_refunded,
      fee: payment.fee,
      net: netMinor / 10 ** CURRENCY_EXPONENTS[payment.currency],
      currency: payment.currency,
      capture_method: payment.capture_method,
      description: payment.description,
      gateway_reference,
      failure_code: payment.failure_code,
    };
  }

  /** The merchant's payments in stored order: created_at (to the microsecond, finer than the API shows), then id. */
  async function inOrder(): Promise<any[]> {
    const rows = await stack.orm.em
      .getConnection()
      .execute('select id from payments where merchant_id = ? order by created_at, id', [merchant.id]);
    const byId = Object.fromEntries(Object.values(payments).map((payment) => [payment.id, payment]));
    return rows.map((row) => byId[row.id as string]);
  }

  it('when JSON is asked for, then every payment of the period is one row, oldest first, and the totals are exact per status and currency', async () => {
    const response = await report(`?from=${day(-1)}&to=${day(0)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const { data, totals, ...head } = response.body;
    expect(head).toEqual({ object: 'report', type: 'transactions', from: day(-1), to: day(0) });
    expect(data).toEqual(await Promise.all((await inOrder()).map(expectedRow)));
    const byId = Object.fromEntries(data.map((row: any) => [row.id, row]));
    expect(byId[payments.succeeded.id]).toMatchObject({
      status: 'succeeded',
      amount: 100,
      amount_captured: 100,
      fee: 3.2,
      net: 96.8,
      description: FORMULA,
    });
    expect(byId[payments.declined.id]).toMatchObject({
      status: 'failed',
      amount_captured: 0,
      fee: 0,
      net: 0,
      failure_code: 'card_declined',
    });
    expect(byId[payments.refunded.id]).toMatchObject({
      status: 'refunded',
      amount_captured: 50,
      amount_refunded: 50,
      fee: 1.75,
      net: -1.75,
    });
    expect(byId[payments.uncaptured.id]).toMatchObject({
      status: 'requires_capture',
      capture_method: 'manual',
      amount: 20,
      amount_captured: 0,
      net: 0,
    });
    expect(byId[payments.yen.id]).toMatchObject({ currency: 'JPY', amount: 500, fee: 44, net: 456 });
    expect(byId[payments.succeeded.id].gateway_reference).toEqual(expect.any(String));
    expect(totals).toEqual([
      { status: 'succeeded', currency: 'JPY', count: 1, amount: 500, amount_captured: 500, amount_refunded: 0, fee: 44, net: 456 },
      { status: 'failed', currency: 'USD', count: 1, amount: 25, amount_captured: 0, amount_refunded: 0, fee: 0, net: 0 },
      { status: 'refunded', currency: 'USD', count: 1, amount: 50, amount_captured: 50, amount_refunded: 50, fee: 1.75, net: -1.75 },
      { status: 'requires_capture', currency: 'USD', count: 1, amount: 20, amount_captured: 0, amount_refunded: 0, fee: 0, net: 0 },
      { status: 'succeeded', currency: 'USD', count: 2, amount: 130, amount_captured: 130, amount_refunded: 0, fee: 4.37, net: 125.63 },
    ]);
  });

  it('when CSV is asked for, then it is an attachment whose header and rows parse back to the JSON rows, amounts in fixed decimals', async () => {
    const json = (await report(`?from=${day(-1)}&to=${day(0)}`)).body;
    const response = await report(`?from=${day(-1)}&to=${day(0)}&format=csv`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="transactions_${day(-1)}_${day(0)}.csv"`);
    const [header, ...rows] = parseCsv(response.body);
    expect(header).toEqual(COLUMNS);
    const asCsv = (row: any) =>
      COLUMNS.map((column) => {
        const value = row[column];
        if (typeof value === 'number') return formatMinor(toMinor(value, row.currency), row.currency);
        if (value === null) return '';
        return /^[=+\-@]/.test(value) ? `'${value}` : value;
      });
    expect(rows).toEqual(json.data.map(asCsv));
    const byId = Object.fromEntries(rows.map((row) => [row[0], Object.fromEntries(COLUMNS.map((column, i) => [column, row[i]]))]));
    expect(byId[payments.succeeded.id]).toMatchObject({ amount: '100.00', fee: '3.20', net: '96.80', description: `'${FORMULA}` });
    expect(byId[payments.refunded.id]).toMatchObject({ net: '-1.75', description: 'Refunded, in "full"' });
    expect(byId[payments.yen.id]).toMatchObject({ amount: '500', fee: '44', description: "'-5% launch discount" });
    expect(response.body).toContain(`"'=HYPERLINK(""https://evil.example"",""click""), line one\nline two"`);
  });

  it("when another merchant has payments in the same period, then they appear in neither this merchant's rows nor totals, and only in its own report", async () => {
    const own = await report(`?from=${day(-1)}&to=${day(0)}`);
    expect(own.body.data.map((row: any) => row.id)).not.toContain(otherPayment.id);
    expect(own.body.totals.reduce((sum: number, total: any) => sum + total.count, 0)).toBe(Object.keys(payments).length);
    expect((await report(`?from=${day(-1)}&to=${day(0)}&format=csv`)).body).not.toContain(otherPayment.id);
    const theirs = await report(`?from=${day(-1)}&to=${day(0)}`, other.apiKey);
    expect(theirs.body.data.map((row: any) => row.id)).toEqual([otherPayment.id]);
    expect(theirs.body.totals).toEqual([
      { status: 'succeeded', currency: 'USD', count: 1, amount: 77, amount_captured: 77, amount_refunded: 0, fee: 2.53, net: 74.47 },
    ]);
  });

  it('when the period is given as timestamps, then the payments created within it, to the second named by to, are the rows', async () => {
    const ordered = await inOrder();
    const from = ordered[1].created_at;
    const to = ordered[3].created_at;
    const response = await report(`?from=${from}&to=${to}`);
    expect(response.status).toBe(200);
    const expected = ordered.filter((payment) => payment.created_at >= from && payment.created_at <= to).map((payment) => payment.id);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(response.body.data.map((row: any) => row.id)).toEqual(expected);
    const csv = await report(`?from=${from}&to=${to}&format=csv`);
    expect(csv.headers.get('content-disposition')).toBe(
      `attachment; filename="transactions_${from.replace(/:/g, '')}_${to.replace(/:/g, '')}.csv"`,
    );
  });

  it('when the period holds no payments, then the JSON has no rows or totals and the CSV is its header alone', async () => {
    const json = await report(`?from=${day(-30)}&to=${day(-20)}`);
    expect(json.body).toEqual({ object: 'report', type: 'transactions', from: day(-30), to: day(-20), totals: [], data: [] });
    expect((await report(`?from=${day(-30)}&to=${day(-20)}&format=csv`)).body).toBe(`${COLUMNS.join(',')}\r\n`);
  });

  it('when the range is exactly 90 days, then it is accepted', async () => {
    const response = await report(`?from=${day(-89)}&to=${day(0)}`);
    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(Object.keys(payments).length);
  });

  it.each([
    ['from is missing', 'from', () => `?to=${day(0)}`, 'parameter_missing', 'Both from and to are required'],
    ['to is missing', 'to', () => `?from=${day(-1)}`, 'parameter_missing', 'Both from and to are required'],
    ['both are missing', 'from', () => '', 'parameter_missing', 'Both from and to are required'],
    ['from is not a date', 'from', () => `?from=yesterday&to=${day(0)}`, 'parameter_invalid', 'Invalid from'],
    ['to is a day that does not exist', 'to', () => `?from=${day(-1)}&to=2026-02-30`, 'parameter_invalid', 'Invalid to'],
    [
      'from is a timestamp without a time zone',
      'from',
      () => `?from=${day(-1)}T00:00:00&to=${day(0)}`,
      'parameter_invalid',
      'Invalid from',
    ],
    ['to has an hour 24', 'to', () => `?from=${day(-1)}&to=${day(-1)}T24:00:00Z`, 'parameter_invalid', 'Invalid to'],
    ['from is after to', 'from', () => `?from=${day(0)}&to=${day(-1)}`, 'date_range_invalid', "'from' must be earlier than 'to'"],
    [
      'from is a second after the timestamp to',
      'from',
      () => `?from=${day(-1)}T10:00:01Z&to=${day(-1)}T10:00:00Z`,
      'date_range_invalid',
      "'from' must be earlier than 'to'",
    ],
    [
      'the range is 91 days',
      'to',
      () => `?from=${day(-90)}&to=${day(0)}`,
      'date_range_too_long',
      'Date range exceeds limit: at most 90 days',
    ],
    [
      'the range is 90 days and a second',
      'to',
      () => `?from=${day(-91)}T23:59:59Z&to=${day(-1)}T23:59:59Z`,
      'date_range_too_long',
      'Date range exceeds limit: at most 90 days',
    ],
    ['from is tomorrow', 'from', () => `?from=${day(1)}&to=${day(1)}`, 'date_in_future', "'from' cannot be after today (UTC)"],
    ['to is tomorrow', 'to', () => `?from=${day(0)}&to=${day(1)}`, 'date_in_future', "'to' cannot be after today (UTC)"],
    [
      'to is the first second of tomorrow',
      'to',
      () => `?from=${day(0)}&to=${day(1)}T00:00:00Z`,
      'date_in_future',
      "'to' cannot be after today (UTC)",
    ],
    ['format is xml', 'format', () => `?from=${day(-1)}&to=${day(0)}&format=xml`, 'parameter_invalid', 'Invalid format'],
    ['an unknown parameter is sent', 'status', () => `?from=${day(-1)}&to=${day(0)}&status=failed`, 'parameter_unknown', 'status'],
  ])('when %s, then 400 names %s', async (_case, param, query, code, message) => {
    const response = await report(query());
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: expect.stringContaining(message), code, param, request_id: expect.any(String) });
  });

  it('when no API key is sent, then 401', async () => {
    expect((await stack.request('GET', `/v1/reports/transactions?from=${day(-1)}&to=${day(0)}`)).status).toBe(401);
  });
});

describe('a report of 40,000 payments', () => {
  const COUNT = 40_000;
  const DESCRIPTION_LENGTH = 1_000;
  let bulk: TestMerchant;
  let base: Date;
  const bulkId = (i: number) => `pay_bulk${String(i).padStart(6, '0')}`;
  const period = () => `?from=${day(-3)}&to=${day(0)}`;
  /** The CSV as a Node stream, read only as fast as the test asks: a slow client. */
  const openCsv = (query: string): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      http
        .get(
          `${stack.baseUrl}/v1/reports/transactions${query}&format=csv`,
          { headers: { authorization: `Bearer ${bulk.apiKey}` } },
          resolve,
        )
        .on('error', reject);
    });

  beforeAll(async () => {
    bulk = await stack.createMerchant('A busy merchant');
    base = new Date(Date.now() - 2 * 86_400_000);
    base.setUTCMilliseconds(0);
    // Three payments share each created_at, to the microsecond, so batches of 1,000 end inside a tie.
    await insertBulkPayments(stack, {
      merchantId: bulk.id,
      count: COUNT,
      idPrefix: 'pay_bulk',
      descriptionLength: DESCRIPTION_LENGTH,
      base,
    });
  });

  it('when CSV is read slowly, then the first bytes come before the last rows are read, every row comes once in order, and the heap stays far below the report size', async () => {
    // A small report first, so that code compiled on first use is not counted as the big one's.
    // to names a whole second, base + 10 s: payments 1 to 32, whose created_at is base + (i / 3) s + 0.123456 s.
    const warmUp = await openCsv(`?from=${day(-3)}&to=${new Date(base.getTime() + 10_000).toISOString().replace('.000Z', 'Z')}`);
    let warmUpText = '';
    for await (const chunk of warmUp) warmUpText += chunk;
    expect(
      warmUpText
        .trimEnd()
        .split('\r\n')
        .slice(1)
        .map((record) => record.slice(0, record.indexOf(','))),
    ).toEqual(Array.from({ length: 32 }, (_, i) => bulkId(i + 1)));
    const baseline = liveMemory();
    const response = await openCsv(period());
    expect(response.statusCode).toBe(200);
    response.setEncoding('utf8');
    const chunks = response[Symbol.asyncIterator]();
    const samples: number[] = [];
    const sample = () => samples.push(liveMemory() - baseline);

    let pending = (await chunks.next()).value as string;
    let bytes = pending.length;
    // A client that stops reading: a server that ignored backpressure would now read on through the
    // whole report into memory. (A pause, not a timing assertion: it only gives such a server time.)
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    sample();
    // Written after the first bytes were sent, sorting after every other row: only a report still
    // being produced can contain it.
    await stack.orm.em.getConnection().execute(
      `insert into payments (id, merchant_id, amount_minor, currency, status, capture_method, source, gateway, created_at)
        values ('pay_bulk_late', ?, 999, 'USD', 'processing', 'automatic', 'tok_visa', 'sandbox', ?::timestamptz + ? * interval '1 second')`,
      [bulk.id, base.toISOString(), COUNT / 3 + 100],
    );

    let lines = 0;
    let nextSample = 4_000_000;
    const mismatches: string[] = [];
    const take = (final: boolean) => {
      const records = pending.split('\r\n');
      pending = final ? '' : (records.pop() as string);
      for (const record of records) {
        if (final && record === '') continue;
        const id = record.slice(0, record.indexOf(','));
        const expected = lines === 0 ? 'id' : lines <= COUNT ? bulkId(lines) : lines === COUNT + 1 ? 'pay_bulk_late' : '(none)';
        if (id !== expected && mismatches.length < 5) mismatches.push(`line ${lines}: ${id}, expected ${expected}`);
        lines++;
      }
    };
    take(false);
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      pending += next.value;
      bytes += next.value.length;
      take(false);
      if (bytes > nextSample) {
        sample();
        nextSample += 4_000_000;
      }
    }
    take(true);

    expect(mismatches).toEqual([]);
    expect(lines).toBe(1 + COUNT + 1);
    expect(bytes).toBeGreaterThan(COUNT * DESCRIPTION_LENGTH);
    // Held in memory at once: a batch or two, not the report (a buffered one would hold it all before its first byte).
    expect(samples.length).toBeGreaterThan(3);
    expect(
      Math.max(...samples),
      `heap growth samples ${samples.map((s) => (s / 1e6).toFixed(1)).join(', ')} MB for ${(bytes / 1e6).toFixed(1)} MB`,
    ).toBeLessThan(bytes / 3);
  });

  it('when JSON is asked for, then the totals from the aggregate query equal the sums of the streamed rows', async () => {
    const response = await report(period(), bulk.apiKey);
    expect(response.status).toBe(200);
    const [{ n }] = await stack.orm.em.getConnection().execute('select count(*)::int as n from payments where merchant_id = ?', [bulk.id]);
    expect(response.body.data).toHaveLength(n);
    expect(new Set(response.body.data.map((row: any) => row.id)).size).toBe(n);
    const sums = new Map<string, any>();
    for (const row of response.body.data) {
      const key = `${row.currency} ${row.status}`;
      const total = sums.get(key) ?? {
        status: row.status,
        currency: row.currency,
        count: 0,
        amount: 0,
        amount_captured: 0,
        amount_refunded: 0,
        fee: 0,
        net: 0,
      };
      total.count++;
      for (const field of ['amount', 'amount_captured', 'amount_refunded', 'fee', 'net']) total[field] += toMinor(row[field], row.currency);
      sums.set(key, total);
    }
    const expected = [...sums.keys()].sort().map((key) => {
      const total = sums.get(key);
      for (const field of ['amount', 'amount_captured', 'amount_refunded', 'fee', 'net']) total[field] /= 100;
      return total;
    });
    expect(expected.map((total) => total.status)).toEqual(expect.arrayContaining(['failed', 'refunded', 'succeeded']));
    expect(response.body.totals).toEqual(expected);
  });

  it('when a later batch is planned, then payments_merchant_created_idx serves the keyset and the order, with no sort', async () => {
    const range = { from: day(-3), to: day(0), startsAt: `${day(-3)}T00:00:00.000000Z`, endsBefore: `${day(1)}T00:00:00.000000Z` };
    const query = batchQuery(bulk.id, range, 1_000, { createdAt: new Date(base.getTime() + 5_000_000).toISOString(), id: bulkId(15_000) });
    const plan = await inTransaction(stack.orm, async (sql) => {
      // Only what the index can do is left: a plan that needed a sequential scan or a sort would be costed as disabled and fail below.
      await sql.query('set local enable_seqscan = off');
      await sql.query('set local enable_bitmapscan = off');
      await sql.query('set local enable_sort = off');
      const [row] = await sql.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${query.text}`, query.params);
      return JSON.stringify(row['QUERY PLAN']);
    });
    expect(plan).toContain('"Index Name":"payments_merchant_created_idx"');
    expect(plan).toContain('"Scan Direction":"Backward"');
    expect(plan).toMatch(/"Index Cond":"[^"]*ROW\(created_at, id\) >/);
    expect(plan).not.toContain('Sort');
  });
});
