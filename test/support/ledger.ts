import { expect } from 'vitest';
import type { Orm } from '../../src/db/orm';

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
