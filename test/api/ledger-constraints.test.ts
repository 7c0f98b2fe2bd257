import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { initOrm, type Orm } from '../../src/db/orm';
import { LedgerIdempotencyConflictError, postJournalEntry } from '../../src/ledger/ledger-service';
import { newId } from '../../src/shared/ids';
import { sqlFor } from '../../src/db/sql';

let orm: Orm;

beforeAll(async () => {
  orm = await initOrm({ url: inject('databaseUrl'), poolMax: 2 });
});
afterAll(async () => orm?.close());

const entry = (key: string, amount = 500) => ({
  idempotencyKey: key,
  sourceType: 'payment' as const,
  sourceId: newId('pay'),
  description: 'test',
  postings: [
    { account: 'a', currency: 'USD', amountMinor: -amount },
    { account: 'b', currency: 'USD', amountMinor: amount },
  ],
});

describe('the ledger, as the database enforces it', () => {
  it('when the same key is posted twice, then the second returns the first entry and adds no postings', async () => {
    const key = newId('je');
    const input = entry(key);
    const first = await orm.em.fork().transactional((em) => postJournalEntry(sqlFor(em), input));
    const second = await orm.em.fork().transactional((em) => postJournalEntry(sqlFor(em), input));
    expect(second).toEqual({ entryId: first.entryId, created: false });
    const rows = await orm.em.getConnection().execute(`select count(*)::int as n from ledger_postings where entry_id = ?`, [first.entryId]);
    expect(rows[0].n).toBe(2);
  });

  it('when a key is reused with other postings, then it is refused', async () => {
    const key = newId('je');
    const input = entry(key);
    await orm.em.fork().transactional((em) => postJournalEntry(sqlFor(em), input));
    await expect(
      orm.em.fork().transactional((em) => postJournalEntry(sqlFor(em), { ...input, postings: entry(key, 501).postings })),
    ).rejects.toBeInstanceOf(LedgerIdempotencyConflictError);
  });

  it('when rows that do not balance are written around the service, then the commit is refused', async () => {
    const id = newId('je');
    await expect(
      orm.em.fork().transactional(async (em) => {
        const connection = em.getConnection();
        const trx = em.getTransactionContext();
        await connection.execute(
          `insert into ledger_entries (id, idempotency_key, content_hash, source_type, source_id, description) values (?, ?, 'x', 'payment', 'pay_x', 'bad')`,
          [id, id],
          'run',
          trx,
        );
        await connection.execute(
          `insert into ledger_postings (id, entry_id, account, currency, amount_minor) values (?, ?, 'a', 'USD', 100), (?, ?, 'b', 'USD', -99)`,
          [newId('lp'), id, newId('lp'), id],
          'run',
          trx,
        );
      }),
    ).rejects.toThrow(/does not balance/);
    const rows = await orm.em.getConnection().execute(`select count(*)::int as n from ledger_entries where id = ?`, [id]);
    expect(rows[0].n).toBe(0);
  });

  it('when a posting is updated or deleted, then the database refuses: corrections are new entries', async () => {
    const posted = await orm.em.fork().transactional((em) => postJournalEntry(sqlFor(em), entry(newId('je'))));
    await expect(
      orm.em.getConnection().execute(`update ledger_postings set amount_minor = 1 where entry_id = ?`, [posted.entryId]),
    ).rejects.toThrow(/append-only/);
    await expect(orm.em.getConnection().execute(`delete from ledger_entries where id = ?`, [posted.entryId])).rejects.toThrow(
      /append-only/,
    );
  });
});
