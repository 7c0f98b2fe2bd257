import { expect } from 'vitest';
import type { Orm } from '../../src/db/orm';
import { inTransaction } from '../../src/db/sql';
import { ledgerAccounts } from '../../src/ledger/ledger-accounts';
import { postJournalEntry } from '../../src/ledger/ledger-service';
import { randomBase62 } from '../../src/shared/ids';

/** Every entry, and the whole ledger, sums to zero per currency. */
export async function expectLedgerBalanced(orm: Orm): Promise<void> {
  const unbalanced = await orm.em
    .getConnection()
    .execute(
      `select entry_id, currency, sum(amount_minor) as total from ledger_postings group by entry_id, currency having sum(amount_minor) <> 0`,
    );
  expect(unbalanced).toEqual([]);
  const totals = await orm.em
    .getConnection()
    .execute(`select currency, sum(amount_minor)::bigint as total from ledger_postings group by currency having sum(amount_minor) <> 0`);
  expect(totals).toEqual([]);
}

/** A merchant's balances by account kind (pending, available, reserve), in minor units of one currency. */
export async function merchantBalances(orm: Orm, merchantId: string, currency = 'USD'): Promise<Record<string, number>> {
  const rows = await orm.em
    .getConnection()
    .execute<{ account: string; total: string }[]>(
      `select account, sum(amount_minor) as total from ledger_postings where merchant_id = ? and currency = ? group by account`,
      [merchantId, currency],
    );
  return Object.fromEntries(rows.map((row) => [row.account.split(':').pop() as string, Number(row.total)]));
}

/** What the platform accounts hold for one merchant's activity, found through the entries that carry that merchant. */
export async function platformTotalsFor(orm: Orm, merchantId: string, currency = 'USD'): Promise<Record<string, number>> {
  const rows = await orm.em.getConnection().execute<{ account: string; total: string }[]>(
    `select p.account, sum(p.amount_minor) as total from ledger_postings p join ledger_entries e on e.id = p.entry_id
      where e.merchant_id = ? and p.merchant_id is null and p.currency = ? group by p.account`,
    [merchantId, currency],
  );
  return Object.fromEntries(rows.map((row) => [row.account, Number(row.total)]));
}

/**
 * Makes `minor` of `currency` available to the merchant at once, as settlement would after its delay:
 * an adjustment entry from the sandbox's clearing account, with its balance transaction, so the books
 * and the balance history stay whole for every other test on the shared database.
 */
export async function makeAvailable(orm: Orm, merchantId: string, currency: string, minor: number): Promise<void> {
  await inTransaction(orm, (sql) =>
    postJournalEntry(sql, {
      idempotencyKey: `test-funding:${merchantId}:${randomBase62(12)}`,
      merchantId,
      sourceType: 'settlement',
      sourceId: `stl_${merchantId}`,
      description: 'Funds made available for a test',
      postings: [
        { account: ledgerAccounts.gatewayClearing('sandbox'), currency, amountMinor: -minor },
        { account: ledgerAccounts.merchantAvailable(merchantId), merchantId, currency, amountMinor: minor },
      ],
      balanceTransaction: { type: 'adjustment', currency, amountMinor: minor, feeMinor: 0 },
    }),
  );
}
