import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { merchantBalances } from '../support/ledger';
import { initOrm, type Orm } from '../../src/db/orm';
import { inTransaction } from '../../src/db/sql';
import { postJournalEntry, type PostingInput } from '../../src/ledger/ledger-service';
import { ledgerAccounts } from '../../src/ledger/ledger-accounts';
import { settleDueFunds } from '../../src/ledger/settlement';
import { newId } from '../../src/shared/ids';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started));

const DAY = 24 * 3600 * 1000;
const DISPUTE_FEE = 1_500;

/** The fee the merchant should be charged, computed here independently: 2.9% rounded half to even, plus 0.30. */
function expectedFee(capturedMinor: number): number {
  const exact = (capturedMinor * 290) / 10_000;
  const floor = Math.floor(exact);
  const fraction = exact - floor;
  const rounded = Math.abs(fraction - 0.5) < 1e-9 ? (floor % 2 === 0 ? floor : floor + 1) : Math.round(exact);
  return rounded + 30;
}

type Operation =
  | { kind: 'pay'; amountMinor: number; manualCaptureBps?: number }
  | { kind: 'refund'; payment: number; bps: number }
  | { kind: 'dispute'; payment: number }
  | { kind: 'resolve'; dispute: number; outcome: 'won' | 'lost' }
  | { kind: 'settle' };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      amountMinor: fc.integer({ min: 50, max: 500_000 }),
      manualCaptureBps: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: undefined }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('refund' as const), payment: fc.nat(), bps: fc.integer({ min: 1, max: 12_000 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('dispute' as const), payment: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('resolve' as const),
      dispute: fc.nat(),
      outcome: fc.constantFrom('won' as const, 'lost' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'settle' as const }) },
);

interface PaymentModel {
  id: string;
  capturedMinor: number;
  feeMinor: number;
  refundedMinor: number;
  disputedMinor: number;
  settled: boolean;
}
interface DisputeModel {
  id: string;
  paymentIndex: number;
  amountMinor: number;
  status: 'open' | 'won' | 'lost';
}

/** Runs one random sequence through the real API and keeps, beside it, what the books must say. */
async function runSequence(operations: Operation[]): Promise<void> {
  const own = await stack.createMerchant('Property');
  const call = (method: string, path: string, body?: unknown) => stack.request(method, path, { apiKey: own.apiKey, body });
  const payments: PaymentModel[] = [];
  const disputes: DisputeModel[] = [];
  const books = { pending: 0, available: 0, reserve: 0, fees_payable: 0 };

  for (const step of operations) {
    if (step.kind === 'pay') {
      const manual = step.manualCaptureBps !== undefined;
      let response = await call('POST', '/v1/payments', {
        amount: step.amountMinor / 100,
        currency: 'USD',
        source: 'tok_visa',
        ...(manual ? { capture: false } : {}),
      });
      if (manual) {
        expect(response.body.status, JSON.stringify(response.body)).toBe('requires_capture');
        const captureMinor = Math.max(1, Math.floor((step.amountMinor * (step.manualCaptureBps as number)) / 10_000));
        response = await call('POST', `/v1/payments/${response.body.id}/capture`, { amount: captureMinor / 100 });
        expect(response.body.amount_received, JSON.stringify(response.body)).toBe(captureMinor / 100);
      }
      expect(response.body.status).toBe('succeeded');
      const capturedMinor = Math.round(response.body.amount_received * 100);
      const feeMinor = expectedFee(capturedMinor);
      expect(Math.round(response.body.fee * 100)).toBe(feeMinor);
      payments.push({ id: response.body.id, capturedMinor, feeMinor, refundedMinor: 0, disputedMinor: 0, settled: false });
      books.pending += capturedMinor - feeMinor;
      books.fees_payable += feeMinor;
    } else if (step.kind === 'refund' && payments.length > 0) {
      const payment = payments[step.payment % payments.length];
      const amountMinor = Math.max(1, Math.floor((payment.capturedMinor * step.bps) / 10_000));
      const response = await call('POST', '/v1/refunds', { payment_id: payment.id, amount: amountMinor / 100 });
      if (response.status === 201 && response.body.status === 'succeeded') {
        payment.refundedMinor += amountMinor;
        books.available -= amountMinor;
      } else {
        expect(response.status).toBe(400);
      }
    } else if (step.kind === 'dispute' && payments.length > 0) {
      const index = step.payment % payments.length;
      const response = await call('POST', `/v1/test_helpers/payments/${payments[index].id}/dispute`, {});
      if (response.status === 201) {
        const amountMinor = Math.round(response.body.amount * 100);
        disputes.push({ id: response.body.id, paymentIndex: index, amountMinor, status: 'open' });
        payments[index].disputedMinor += amountMinor;
        books.available -= amountMinor + DISPUTE_FEE;
        books.reserve += amountMinor;
      } else {
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
      }
    } else if (step.kind === 'resolve' && disputes.some((dispute) => dispute.status === 'open')) {
      const open = disputes.filter((dispute) => dispute.status === 'open');
      const dispute = open[step.dispute % open.length];
      const response = await call('POST', `/v1/test_helpers/disputes/${dispute.id}/resolve`, { outcome: step.outcome });
      expect(response.status).toBe(200);
      dispute.status = step.outcome;
      books.reserve -= dispute.amountMinor;
      if (step.outcome === 'won') {
        books.available += dispute.amountMinor;
        payments[dispute.paymentIndex].disputedMinor -= dispute.amountMinor;
      }
    } else if (step.kind === 'settle') {
      await settleDueFunds(stack.orm, { asOf: new Date(Date.now() + 3 * DAY), merchantIds: [own.id] });
      for (const payment of payments.filter((candidate) => !candidate.settled)) {
        books.pending -= payment.capturedMinor - payment.feeMinor;
        books.available += payment.capturedMinor - payment.feeMinor;
        payment.settled = true;
      }
    }
  }

  // The books match the model, account by account.
  const balances = await merchantBalances(stack.orm, own.id);
  for (const [kind, expected] of Object.entries(books)) expect(balances[kind] ?? 0, kind).toBe(expected);

  const sql = stack.orm.em.getConnection();
  // Every entry balances; every stored balance is the sum of its postings; the balance history adds up to the balance.
  expect(
    await sql.execute(
      `select p.entry_id from ledger_postings p join ledger_entries e on e.id = p.entry_id where e.merchant_id = ?
      group by p.entry_id, p.currency having sum(p.amount_minor) <> 0`,
      [own.id],
    ),
  ).toEqual([]);
  expect(
    await sql.execute(
      `select b.account from ledger_account_balances b
      where b.merchant_id = ? and b.balance_minor <> (select coalesce(sum(amount_minor), 0) from ledger_postings p where p.account = b.account and p.currency = b.currency)`,
      [own.id],
    ),
  ).toEqual([]);
  const [history] = await sql.execute(
    `select coalesce(sum(net_minor), 0)::bigint as total from balance_transactions where merchant_id = ?`,
    [own.id],
  );
  expect(Number(history.total)).toBe(books.pending + books.available);

  // No payment ever gave back more than it took: refunds plus disputes that were not won stay within the capture.
  for (const payment of payments) {
    expect(payment.refundedMinor + payment.disputedMinor).toBeLessThanOrEqual(payment.capturedMinor);
    const stored = (await call('GET', `/v1/payments/${payment.id}`)).body;
    expect(Math.round(stored.amount_refunded * 100)).toBe(payment.refundedMinor);
    const [refunds] = await sql.execute(
      `select coalesce(sum(p.amount_minor), 0)::bigint as total from ledger_entries e join refunds r on r.id = e.source_id
         join ledger_postings p on p.entry_id = e.id and p.account like 'platform:gateway_clearing:%'
        where e.source_type = 'refund' and r.payment_id = ?`,
      [payment.id],
    );
    expect(Number(refunds.total)).toBe(payment.refundedMinor);
  }
}

describe('ledger properties over random money movements', () => {
  it('when random sequences of payments, partial captures, refunds, disputes and settlements run, then every entry balances, balances equal their postings, and refunds stay within captures', async () => {
    await fc.assert(fc.asyncProperty(fc.array(operation, { minLength: 3, maxLength: 9 }), runSequence), {
      numRuns: Number(process.env.PROPERTY_RUNS ?? 8),
      seed: Number(process.env.PROPERTY_SEED ?? Date.now() % 2 ** 31),
      verbose: 1,
    });
  }, 180_000);
});

describe('concurrent postings', () => {
  let pool: Orm;
  beforeAll(async () => {
    pool = await initOrm({ url: inject('databaseUrl'), poolMax: 25 });
  });
  afterAll(async () => pool?.close());

  it("when 50 entries post to one merchant's accounts at once, in every account order, then no update is lost and no transaction deadlocks", async () => {
    const id = merchant.id;
    const accounts = [
      ledgerAccounts.merchantPending(id),
      ledgerAccounts.merchantAvailable(id),
      ledgerAccounts.merchantReserve(id),
      ledgerAccounts.merchantFeesPayable(id),
    ];
    const expected = new Map<string, number>();
    const entries = Array.from({ length: 50 }, (_, index) => {
      // Each entry moves money between three of the four accounts, listed in a different order each time.
      const [from, to, third] = [accounts[index % 4], accounts[(index + 1) % 4], accounts[(index + 2) % 4]];
      const amount = 1 + ((index * 7_919) % 10_000);
      const postings: PostingInput[] = [
        { account: to, merchantId: id, currency: 'USD', amountMinor: amount },
        { account: from, merchantId: id, currency: 'USD', amountMinor: -amount - 1 },
        { account: third, merchantId: id, currency: 'USD', amountMinor: 1 },
      ];
      if (index % 2 === 1) postings.reverse();
      for (const posting of postings) expected.set(posting.account, (expected.get(posting.account) ?? 0) + posting.amountMinor);
      // What the entry does to pending + available shows in the balance history, as the trial balance expects.
      const balanceChange = postings
        .filter((posting) => posting.account === accounts[0] || posting.account === accounts[1])
        .reduce((sum, posting) => sum + posting.amountMinor, 0);
      return {
        idempotencyKey: newId('je'),
        merchantId: id,
        sourceType: 'payout' as const,
        sourceId: `test_${index}`,
        description: 'concurrency',
        postings,
        ...(balanceChange !== 0
          ? { balanceTransaction: { type: 'adjustment' as const, currency: 'USD', amountMinor: balanceChange, feeMinor: 0 } }
          : {}),
      };
    });
    const before = await merchantBalances(stack.orm, id);
    const results = await Promise.allSettled(entries.map((entry) => inTransaction(pool, (sql) => postJournalEntry(sql, entry))));
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);

    const after = await merchantBalances(stack.orm, id);
    for (const account of accounts) {
      const kind = account.split(':').pop() as string;
      expect((after[kind] ?? 0) - (before[kind] ?? 0), kind).toBe(expected.get(account) ?? 0);
    }
    const [stored] = await stack.orm.em.getConnection().execute(
      `select count(*)::int as n from ledger_account_balances b where b.merchant_id = ?
          and b.balance_minor <> (select sum(amount_minor) from ledger_postings p where p.account = b.account and p.currency = b.currency)`,
      [id],
    );
    expect(stored.n).toBe(0);
    const [history] = await stack.orm.em
      .getConnection()
      .execute(`select coalesce(sum(net_minor), 0)::bigint as total from balance_transactions where merchant_id = ?`, [id]);
    const after2 = await merchantBalances(stack.orm, id);
    expect(Number(history.total)).toBe((after2.pending ?? 0) + (after2.available ?? 0));
  });
});
