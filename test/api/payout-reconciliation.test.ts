import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { inTransaction, sqlFor } from '../../src/db/sql';
import { postJournalEntry } from '../../src/ledger/ledger-service';
import { TEST_BANK_ACCOUNT_OUTCOMES } from '../../src/bank-accounts/test-bank-accounts';
import { payoutEntry, type PayoutLedgerStep, type PayoutMoney } from '../../src/payouts/payout-ledger';
import { sandboxBankStatement } from '../../src/payouts/sandbox-bank/sandbox-bank-statement';
import { formatSettlementCsv, parseSettlementCsv, SETTLEMENT_HEADER, type SettlementRow } from '../../src/reconciliation/settlement-csv';
import { newId, randomBase62 } from '../../src/shared/ids';
import { utcDayBefore } from '../../src/shared/utc-days';
import { makeAvailable } from '../support/ledger';

let stack: TestStack;
let merchant: TestMerchant;
// Payouts made through the API go to the bank at once, arrive half a second later and are watched for a return for two seconds.
const FAST_PAYOUTS = {
  PAYOUT_SUBMIT_DELAY_MS: '100',
  SANDBOX_BANK_TRANSIT_MS: '500',
  SANDBOX_BANK_RETURN_AFTER_MS: '500',
  PAYOUT_RETURN_CHECK_EVERY_MS: '200',
  PAYOUT_RETURN_WATCH_MS: '2000',
};
useTestStack((started) => ({ stack, merchant } = started), { schedules: true, env: FAST_PAYOUTS });

const db = () => stack.orm.em.getConnection();
const US_ACCOUNT = {
  country: 'US',
  currency: 'USD',
  account_holder_name: 'Jenny Rosen',
  account_number: '000123456789',
  routing_number: '110000000',
};

interface BankTransfer {
  id: string;
  payoutId: string;
  merchantId: string;
  amountMinor: number;
  outcome: 'paid' | 'failed' | 'returned';
  arrivesAt: Date | string;
  returnsAt?: Date | string | null;
}

/** A row in the sandbox bank's own books, as its network writes one on submission. */
async function insertTransfer(transfer: BankTransfer): Promise<void> {
  await db().execute(
    `insert into sandbox_bank_transfers (id, idempotency_key, payout_id, merchant_id, amount_minor, currency, bank_account_last4, outcome,
       failure_code, submitted_at, arrives_at, returns_at)
     values (?, ?, ?, ?, ?, 'USD', '6789', ?, ?, ?::timestamptz - interval '1 day', ?, ?)`,
    [
      transfer.id,
      `${transfer.payoutId}:transfer`,
      transfer.payoutId,
      transfer.merchantId,
      transfer.amountMinor,
      transfer.outcome,
      transfer.outcome === 'paid' ? null : 'account_closed',
      transfer.arrivesAt,
      transfer.arrivesAt,
      transfer.returnsAt ?? null,
    ],
  );
}

async function bankAccountOf(own: TestMerchant): Promise<string> {
  const created = await stack.request('POST', '/v1/bank_accounts', { apiKey: own.apiKey, body: US_ACCOUNT });
  expect(created.status).toBe(201);
  return created.body.id;
}

interface BookedPayout {
  payoutId: string;
  /** The bank's transfer id: the payout's bank_reference and the statement's reference. */
  reference: string;
  /** The UTC day the bank paid it out, which is also the day our books posted it. */
  day: string;
}

/**
 * A payout as its workflow leaves it once the bank has spoken, written as the contract's table says:
 * the payouts row, the bank's transfer, and the ledger entries of each step up to `outcome`. The
 * bank's movements are dated by the ledger entries that recorded them, as a prompt workflow does.
 */
async function bookPayout(
  own: TestMerchant,
  bankAccountId: string,
  amountMinor: number,
  outcome: 'paid' | 'returned' | 'failed',
): Promise<BookedPayout> {
  // Funded first, as a real payout would be: the available balance never goes below zero.
  await makeAvailable(stack.orm, own.id, 'USD', amountMinor);
  const payoutId = newId('po');
  const reference = newId('sbt');
  const status = outcome === 'paid' ? 'paid' : 'failed';
  await db().execute(
    `insert into payouts (id, merchant_id, livemode, amount_minor, fee_minor, currency, status, bank_account_id, bank_account_last4, network,
       bank_reference, arrival_date, automatic, failure_code, returned, created_at, updated_at)
     values (?, ?, false, ?, 0, 'USD', ?, ?, '6789', 'sandbox_bank', ?, current_date, false, ?, ?, now(), now())`,
    [payoutId, own.id, amountMinor, status, bankAccountId, reference, outcome === 'paid' ? null : 'account_closed', outcome === 'returned'],
  );
  const money: PayoutMoney = { payoutId, merchantId: own.id, amountMinor, feeMinor: 0, currency: 'USD', network: 'sandbox_bank' };
  const steps: PayoutLedgerStep[] =
    outcome === 'failed' ? ['created', 'failed'] : outcome === 'paid' ? ['created', 'paid'] : ['created', 'paid', 'returned'];
  const postedAt: Partial<Record<PayoutLedgerStep, Date>> = {};
  for (const step of steps) {
    const { entryId } = await inTransaction(stack.orm, (sql) => postJournalEntry(sql, payoutEntry(money, step)));
    const [entry] = await db().execute<{ created_at: Date }[]>(`select created_at from ledger_entries where id = ?`, [entryId]);
    postedAt[step] = new Date(entry.created_at);
  }
  const arrivesAt = postedAt.paid ?? postedAt.failed ?? new Date();
  await insertTransfer({ id: reference, payoutId, merchantId: own.id, amountMinor, outcome, arrivesAt, returnsAt: postedAt.returned });
  return { payoutId, reference, day: arrivesAt.toISOString().slice(0, 10) };
}

/** The sandbox bank's statement of a day, narrowed to some transfers: what a merchant's own bank would list for it. */
async function statementOf(day: string, references: string[]): Promise<Omit<SettlementRow, 'line'>[]> {
  const rows = parseSettlementCsv(await sandboxBankStatement(sqlFor(stack.orm.em.fork()), day), { returns: true });
  return rows.filter((row) => references.includes(row.reference)).map(({ line: _line, ...row }) => row);
}

const uploadStatement = (own: TestMerchant, file: string, extra: Record<string, unknown> = {}) =>
  stack.request('POST', '/v1/reconciliations', { apiKey: own.apiKey, body: { file, kind: 'payouts', ...extra } });

/** A merchant with two payouts paid and one paid then returned, all on one day, and the bank's statement of them. */
async function payoutDay(name: string) {
  const own = await stack.createMerchant(name);
  const account = await bankAccountOf(own);
  const first = await bookPayout(own, account, 10_000, 'paid');
  const second = await bookPayout(own, account, 2_550, 'paid');
  const returned = await bookPayout(own, account, 7_000, 'returned');
  const day = first.day;
  const rows = await statementOf(day, [first.reference, second.reference, returned.reference]);
  return { own, account, first, second, returned, day, rows };
}

const byReference = (items: any[], reference: string) => items.filter((item) => item.gateway_reference === reference);

describe("reconciliation of payouts against a bank's statement", () => {
  it('when a merchant uploads the statement of a day with payouts paid and one returned, then every movement matches its ledger entry', async () => {
    const { own, first, second, returned, day, rows } = await payoutDay('Matched payouts');
    expect(rows).toHaveLength(4);
    const response = await uploadStatement(own, formatSettlementCsv(rows));
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      object: 'reconciliation',
      kind: 'payouts',
      source: 'upload',
      status: 'reconciled',
      merchant_id: own.id,
      period_start: day,
      period_end: day,
      file_rows: 4,
      summary: { matched: 4, amount_mismatch: 0, missing_in_ledger: 0, missing_in_settlement: 0 },
    });
    expect(byReference(response.body.items, first.reference)).toEqual([
      expect.objectContaining({
        category: 'matched',
        settlement: expect.objectContaining({ amount: -100, currency: 'USD', date: day }),
        ledger: expect.objectContaining({ source_type: 'payout', source_id: first.payoutId, merchant_id: own.id, amount: -100 }),
      }),
    ]);
    expect(byReference(response.body.items, second.reference)[0].ledger).toMatchObject({ amount: -25.5 });
    // Paid out on arrival, back on return: two movements under one reference, each paired with its own entry.
    const both = byReference(response.body.items, returned.reference);
    expect(both.map((item: any) => [item.category, item.settlement.amount, item.ledger.amount]).sort()).toEqual([
      ['matched', -70, -70],
      ['matched', 70, 70],
    ]);
    expect(new Set(both.map((item: any) => item.ledger.entry_id)).size).toBe(2);

    // The same statement read as a gateway's settlement: its repeated reference is refused, and without it nothing is a capture.
    const asSettlement = await stack.request('POST', '/v1/reconciliations', {
      apiKey: own.apiKey,
      body: { file: formatSettlementCsv(rows) },
    });
    expect(asSettlement.status).toBe(400);
    expect(asSettlement.body).toMatchObject({ code: 'invalid_settlement_file', column_name: 'gateway_reference' });
    const paidOnly = formatSettlementCsv(rows.filter((row) => row.amountMinor < 0));
    const settlement = await stack.request('POST', '/v1/reconciliations', { apiKey: own.apiKey, body: { file: paidOnly } });
    expect(settlement.body).toMatchObject({ kind: 'settlement', summary: { matched: 0, missing_in_ledger: 3 } });
  });

  it("when the workflow records a payout hours after the bank paid it, then it reconciles on the bank's day, not on the day we posted it", async () => {
    const own = await stack.createMerchant('Late news');
    const account = await bankAccountOf(own);
    const late = await bookPayout(own, account, 4_200, 'paid');
    // The bank paid it late yesterday (UTC); our entry is posted today.
    const yesterday = utcDayBefore(new Date(`${late.day}T00:00:00Z`));
    const bankPaidAt = `${yesterday}T23:30:00Z`;
    await db().execute(`update payouts set paid_at = ? where id = ?`, [bankPaidAt, late.payoutId]);
    await db().execute(`update sandbox_bank_transfers set arrives_at = ? where id = ?`, [bankPaidAt, late.reference]);
    const rows = await statementOf(yesterday, [late.reference]);
    expect(rows).toEqual([{ reference: late.reference, amountMinor: -4_200, currency: 'USD', date: yesterday }]);
    const onTheBanksDay = await uploadStatement(own, formatSettlementCsv(rows), { period_start: yesterday, period_end: yesterday });
    expect(onTheBanksDay.body).toMatchObject({ status: 'reconciled', summary: { matched: 1, missing_in_settlement: 0 } });
    const today = await uploadStatement(own, `${SETTLEMENT_HEADER}\r\n`, { period_start: late.day, period_end: late.day });
    expect(today.body).toMatchObject({ status: 'reconciled', summary: { matched: 0, missing_in_settlement: 0 } });
  });

  it('when an amount in the statement differs from the payout, then that row is an amount_mismatch showing both sides', async () => {
    const { own, first, second, rows } = await payoutDay('Mismatched payout');
    const changed = rows.map((row) => (row.reference === second.reference ? { ...row, amountMinor: -2_505 } : row));
    const response = await uploadStatement(own, formatSettlementCsv(changed));
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      status: 'discrepancies_found',
      summary: { matched: 3, amount_mismatch: 1, missing_in_ledger: 0, missing_in_settlement: 0 },
    });
    expect(byReference(response.body.items, second.reference)).toEqual([
      expect.objectContaining({
        category: 'amount_mismatch',
        settlement: expect.objectContaining({ amount: -25.05 }),
        ledger: expect.objectContaining({ amount: -25.5, source_id: second.payoutId }),
      }),
    ]);
    expect(byReference(response.body.items, first.reference)[0].category).toBe('matched');
  });

  it('when the statement lists a transfer our books never recorded, then it is missing_in_ledger, and a retry with its Idempotency-Key gets the same run', async () => {
    const { own, day, rows } = await payoutDay('Unknown transfer');
    const stranger = { reference: `sbt_${randomBase62(22)}`, amountMinor: -4_200, currency: 'USD', date: day };
    const file = formatSettlementCsv([...rows, stranger]);
    const key = `bank-statement-${randomBase62(8)}`;
    const send = () =>
      stack.request('POST', '/v1/reconciliations?kind=payouts', {
        apiKey: own.apiKey,
        rawBody: file,
        headers: { 'content-type': 'text/csv', 'Idempotency-Key': key },
      });
    const response = await send();
    expect(response.status).toBe(201);
    expect((await send()).body).toEqual(response.body);
    expect(response.body).toMatchObject({ kind: 'payouts', summary: { matched: 4, missing_in_ledger: 1, missing_in_settlement: 0 } });
    expect(byReference(response.body.items, stranger.reference)).toEqual([
      expect.objectContaining({
        category: 'missing_in_ledger',
        ledger: null,
        settlement: expect.objectContaining({ amount: -42, line: 6 }),
      }),
    ]);
  });

  it('when a paid payout is missing from the statement, then it is missing_in_settlement, and a payout that failed before paying is not expected at all', async () => {
    const { own, account, first, day, rows } = await payoutDay('Missing payout');
    const failed = await bookPayout(own, account, 1_500, 'failed');
    expect(await statementOf(day, [failed.reference])).toEqual([]);
    const response = await uploadStatement(own, formatSettlementCsv(rows.filter((row) => row.reference !== first.reference)));
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ summary: { matched: 3, amount_mismatch: 0, missing_in_ledger: 0, missing_in_settlement: 1 } });
    expect(byReference(response.body.items, first.reference)).toEqual([
      expect.objectContaining({
        category: 'missing_in_settlement',
        settlement: null,
        ledger: expect.objectContaining({ source_type: 'payout', source_id: first.payoutId, amount: -100 }),
      }),
    ]);
    expect(response.body.items.some((item: any) => item.ledger?.source_id === failed.payoutId)).toBe(false);
  });

  it('when the kind is not one of settlement or payouts, or is given twice, then 400 names kind and nothing is stored; an Idempotency-Key is bound to its kind', async () => {
    const before = await db().execute(`select count(*)::int as n from reconciliations where merchant_id = ?`, [merchant.id]);
    const unknown = await uploadStatement(merchant, `${SETTLEMENT_HEADER}\n`, {
      kind: 'bank',
      period_start: '2026-01-01',
      period_end: '2026-01-01',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ param: 'kind', code: 'parameter_invalid' });
    const twice = await stack.request('POST', '/v1/reconciliations?kind=payouts', {
      apiKey: merchant.apiKey,
      body: { file: `${SETTLEMENT_HEADER}\n`, kind: 'payouts', period_start: '2026-01-01', period_end: '2026-01-01' },
    });
    expect(twice.status).toBe(400);
    expect(twice.body).toMatchObject({ param: 'kind' });
    const after = await db().execute(`select count(*)::int as n from reconciliations where merchant_id = ?`, [merchant.id]);
    expect(after[0].n).toBe(before[0].n);

    // One Idempotency-Key, one file, two kinds: two different requests.
    const key = { 'Idempotency-Key': `kind-${randomBase62(8)}` };
    const empty = { file: `${SETTLEMENT_HEADER}\n`, period_start: '2026-01-01', period_end: '2026-01-01' };
    const payouts = await stack.request('POST', '/v1/reconciliations', {
      apiKey: merchant.apiKey,
      body: { ...empty, kind: 'payouts' },
      headers: key,
    });
    expect(payouts.body).toMatchObject({ kind: 'payouts', file_rows: 0 });
    const settlement = await stack.request('POST', '/v1/reconciliations', { apiKey: merchant.apiKey, body: empty, headers: key });
    expect(settlement.status).toBe(422);
    expect(settlement.body.code).toBe('idempotency_key_reused');
  });
});

describe("the sandbox bank's statement of a day", () => {
  it('when transfers were paid, failed, returned later, returned the same day or are still to come, then only money that moved that day has a row', async () => {
    // Days of their own, far from today's payouts, so the statement holds only these transfers.
    const year = 2000 + Math.floor(Math.random() * 20);
    const [d1, d2, d3] = [`${year}-03-01`, `${year}-03-02`, `${year}-03-03`];
    const own = merchant.id;
    const transfer = (amountMinor: number, outcome: BankTransfer['outcome'], arrivesAt: string, returnsAt: string | null = null) => ({
      id: newId('sbt'),
      payoutId: newId('po'),
      merchantId: own,
      amountMinor,
      outcome,
      arrivesAt,
      returnsAt,
    });
    const paid = transfer(1_000, 'paid', `${d1}T09:00:00Z`);
    const failed = transfer(2_000, 'failed', `${d1}T10:00:00Z`);
    const returnedLater = transfer(3_000, 'returned', `${d1}T11:00:00Z`, `${d3}T11:00:00Z`);
    const returnedSameDay = transfer(4_000, 'returned', `${d1}T12:00:00Z`, `${d1}T23:59:59.999Z`);
    const nextDay = transfer(5_000, 'paid', `${d2}T00:00:00Z`);
    for (const row of [paid, failed, returnedLater, returnedSameDay, nextDay]) await insertTransfer(row);

    const statement = (day: string, asOf?: Date) => sandboxBankStatement(sqlFor(stack.orm.em.fork()), day, asOf);
    const first = await statement(d1);
    expect(first).toBe(
      [
        SETTLEMENT_HEADER,
        `${paid.id},-10.00,USD,${d1}`,
        `${returnedLater.id},-30.00,USD,${d1}`,
        `${returnedSameDay.id},-40.00,USD,${d1}`,
        `${returnedSameDay.id},40.00,USD,${d1}`,
      ].join('\n') + '\n',
    );
    expect(() => parseSettlementCsv(first)).toThrow(/duplicate reference/);
    expect(parseSettlementCsv(first, { returns: true })).toHaveLength(4);
    expect(() => parseSettlementCsv(`${first}${paid.id},-10.00,USD,${d1}\n`, { returns: true })).toThrow(
      /Line 6.*duplicate payment of reference/,
    );
    expect(await statement(d2)).toBe(`${SETTLEMENT_HEADER}\n${nextDay.id},-50.00,USD,${d2}\n`);
    expect(await statement(d3)).toBe(`${SETTLEMENT_HEADER}\n${returnedLater.id},30.00,USD,${d3}\n`);
    // As the bank stood at noon on d1, the later arrivals had not happened yet.
    expect(await statement(d1, new Date(`${d1}T11:30:00Z`))).toBe(
      [SETTLEMENT_HEADER, `${paid.id},-10.00,USD,${d1}`, `${returnedLater.id},-30.00,USD,${d1}`].join('\n') + '\n',
    );
  });
});

describe("the daily reconciliation against the sandbox bank's statement", () => {
  const runDaily = (input: Record<string, unknown>) =>
    stack.client.workflow.execute('dailyReconciliationWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: `test-payout-reconciliation-${randomBase62(8)}`,
      args: [input],
    });

  it("when the bank's statement of a day is reconciled platform-wide, then the day's payouts match and a transfer our books lack is flagged for the admin only", async () => {
    const { own, first, second, returned, day } = await payoutDay('Daily payouts');
    const orphan = newId('sbt');
    await insertTransfer({
      id: orphan,
      payoutId: newId('po'),
      merchantId: own.id,
      amountMinor: 999,
      outcome: 'paid',
      arrivesAt: new Date(),
    });

    const result = await runDaily({ day, report: 'sandbox_bank_statement' });
    expect(result).toMatchObject({ day, reconciliationId: expect.stringMatching(/^rec_/), status: 'discrepancies_found' });
    const run = await stack.request('GET', `/v1/admin/reconciliations/${result.reconciliationId}`, { apiKey: TEST_ADMIN_KEY });
    expect(run.body).toMatchObject({
      kind: 'payouts',
      source: 'bank_statement',
      gateway: 'sandbox_bank',
      merchant_id: null,
      period_start: day,
      summary: result.summary,
    });
    for (const { reference } of [first, second])
      expect(byReference(run.body.items, reference)).toEqual([expect.objectContaining({ category: 'matched' })]);
    expect(
      byReference(run.body.items, returned.reference)
        .map((item: any) => [item.category, item.ledger.amount])
        .sort(),
    ).toEqual([
      ['matched', -70],
      ['matched', 70],
    ]);
    expect(byReference(run.body.items, orphan)).toEqual([
      expect.objectContaining({ category: 'missing_in_ledger', ledger: null, settlement: expect.objectContaining({ amount: -9.99 }) }),
    ]);
    const list = await stack.request('GET', '/v1/admin/reconciliations?limit=100', { apiKey: TEST_ADMIN_KEY });
    expect(list.body.data.find((entry: any) => entry.id === result.reconciliationId)).toMatchObject({ kind: 'payouts' });
    expect((await stack.request('GET', `/v1/reconciliations/${result.reconciliationId}`, { apiKey: own.apiKey })).status).toBe(404);

    const settlement = await runDaily({ day });
    const settlementRun = await stack.request('GET', `/v1/admin/reconciliations/${settlement.reconciliationId}`, {
      apiKey: TEST_ADMIN_KEY,
    });
    expect(settlementRun.body).toMatchObject({ kind: 'settlement', source: 'gateway_report', gateway: 'sandbox' });
    expect(byReference(settlementRun.body.items, first.reference)).toEqual([]);
  });

  it("when the schedule fires, then yesterday's bank statement is reconciled and kept; an unknown report fails the workflow", async () => {
    const handle = stack.client.schedule.getHandle(`${stack.taskQueue}-sandbox-bank-payout-reconciliation`);
    const description = await handle.describe();
    expect(description.action).toMatchObject({ workflowType: 'dailyReconciliationWorkflow', args: [{ report: 'sandbox_bank_statement' }] });
    const yesterday = utcDayBefore(new Date());
    const orphan = newId('sbt');
    await insertTransfer({
      id: orphan,
      payoutId: newId('po'),
      merchantId: merchant.id,
      amountMinor: 1_234,
      outcome: 'paid',
      arrivesAt: `${yesterday}T12:00:00Z`,
    });
    const runs = () =>
      db().execute<{ id: string }[]>(
        `select id from reconciliations where kind = 'payouts' and source = 'bank_statement' and period_start = ?`,
        [yesterday],
      );
    const before = (await runs()).map((row) => row.id);
    await handle.trigger();
    let created: string[] = [];
    for (let attempt = 0; attempt < 100 && created.length === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      created = (await runs()).map((row) => row.id).filter((id) => !before.includes(id));
    }
    expect(created).toHaveLength(1);
    const run = await stack.request('GET', `/v1/admin/reconciliations/${created[0]}`, { apiKey: TEST_ADMIN_KEY });
    expect(byReference(run.body.items, orphan)).toEqual([expect.objectContaining({ category: 'missing_in_ledger' })]);

    const failure = await runDaily({ report: 'paypal_statement' }).catch((error: unknown) => error);
    expect((failure as { cause?: { type?: string } }).cause?.type).toBe('InvalidReconciliationReport');
  });
});

describe('payouts made through the API, reconciled against the bank that paid them', () => {
  async function payoutSettled(own: TestMerchant, id: string, done: (payout: any) => boolean): Promise<void> {
    let payout: any;
    for (let attempt = 0; attempt < 150; attempt++) {
      payout = (await stack.request('GET', `/v1/payouts/${id}`, { apiKey: own.apiKey })).body;
      if (done(payout)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`payout ${id} stayed ${JSON.stringify(payout?.status)}`);
  }

  it("when one payout is paid and another paid then returned by the sandbox bank, then the bank's statement of the day matches our books", async () => {
    const own = await stack.createMerchant('Real payouts');
    await makeAvailable(stack.orm, own.id, 'USD', 100_000);
    const paidTo = await bankAccountOf(own);
    const returning = await stack.request('POST', '/v1/bank_accounts', {
      apiKey: own.apiKey,
      body: { ...US_ACCOUNT, account_number: TEST_BANK_ACCOUNT_OUTCOMES['0009'].usAccount },
    });
    expect(returning.status).toBe(201);
    const create = (amount: number, bankAccount: string) =>
      stack.request('POST', '/v1/payouts', { apiKey: own.apiKey, body: { amount, currency: 'usd', bank_account: bankAccount } });
    const [paid, returned] = await Promise.all([create(40, paidTo), create(25, returning.body.id)]);
    expect([paid.status, returned.status]).toEqual([201, 201]);
    await payoutSettled(own, paid.body.id, (payout) => payout.status === 'paid');
    await payoutSettled(own, returned.body.id, (payout) => payout.returned === true);

    const stored = await db().execute<{ id: string; bank_reference: string }[]>(
      `select id, bank_reference from payouts where merchant_id = ?`,
      [own.id],
    );
    const referenceOf = (id: string) => stored.find((row) => row.id === id)?.bank_reference as string;
    expect(referenceOf(paid.body.id)).toMatch(/^sbt_/);
    const day = new Date().toISOString().slice(0, 10);
    const rows = await statementOf(day, [referenceOf(paid.body.id), referenceOf(returned.body.id)]);
    expect(rows.map((row) => row.amountMinor).sort((a, b) => a - b)).toEqual([-4_000, -2_500, 2_500]);

    const response = await uploadStatement(own, formatSettlementCsv(rows));
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ kind: 'payouts', status: 'reconciled', summary: { matched: 3 } });
    expect(response.body.items.map((item: any) => item.ledger.source_id).sort()).toEqual(
      [paid.body.id, returned.body.id, returned.body.id].sort(),
    );
  });
});
