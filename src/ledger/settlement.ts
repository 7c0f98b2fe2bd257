import { createHash } from 'node:crypto';
import { inTransaction } from '../db/sql';
import type { Orm } from '../db/orm';
import { BalanceTransactionRepository, type DueTransaction } from './balance-transaction-repository';
import { ledgerAccounts } from './ledger-accounts';
import { postJournalEntry } from './ledger-service';

export interface SettlementBatchResult {
  /** Balance transactions that became available. */
  settled: number;
  /** Ledger entries posted: one per merchant and currency in the batch. */
  entries: number;
  /** More transactions are due than one batch holds. */
  hasMore: boolean;
}

/**
 * Makes one batch of due charges available: per merchant and currency, one entry moves the net
 * from pending to available, and the transactions point at it. The selection, the entry and the
 * marks commit together, so a retried batch finds its transactions already settled; the entry's
 * key is derived from the transactions it settles, so it can never be posted twice either.
 */
export interface SettleOptions {
  asOf: Date;
  batchSize?: number;
  /** Only these merchants' funds (ops settling one merchant early); all merchants when absent. */
  merchantIds?: string[];
}

export async function settleDueFunds(orm: Orm, { asOf, batchSize = 500, merchantIds }: SettleOptions): Promise<SettlementBatchResult> {
  return inTransaction(orm, async (sql) => {
    const transactions = new BalanceTransactionRepository(sql);
    const due = await transactions.lockDue(asOf, batchSize + 1, merchantIds);
    const batch = due.slice(0, batchSize);
    const groups = new Map<string, DueTransaction[]>();
    for (const transaction of batch) {
      const key = `${transaction.merchant_id}:${transaction.currency}`;
      groups.set(key, [...(groups.get(key) ?? []), transaction]);
    }
    let entries = 0;
    for (const group of [...groups.values()].sort((a, b) => (a[0].merchant_id < b[0].merchant_id ? -1 : 1))) {
      const { merchant_id: merchantId, currency } = group[0];
      const ids = group.map((transaction) => transaction.id).sort();
      const digest = createHash('sha256').update(ids.join(',')).digest('hex');
      const netMinor = group.reduce((sum, transaction) => sum + Number(transaction.net_minor), 0);
      let entryId: string | null = null;
      // A batch whose fees equal its charges moves nothing; its transactions still become available.
      if (netMinor !== 0) {
        ({ entryId } = await postJournalEntry(sql, {
          idempotencyKey: `settlement:${merchantId}:${currency}:${digest}`,
          merchantId,
          sourceType: 'settlement',
          sourceId: `stl_${digest.slice(0, 24)}`,
          description: `Settlement of ${ids.length} charge${ids.length === 1 ? '' : 's'} to available`,
          postings: [
            { account: ledgerAccounts.merchantPending(merchantId), merchantId, currency, amountMinor: -netMinor },
            { account: ledgerAccounts.merchantAvailable(merchantId), merchantId, currency, amountMinor: netMinor },
          ],
        }));
        entries += 1;
      }
      await transactions.markSettled(ids, entryId);
    }
    return { settled: batch.length, entries, hasMore: due.length > batchSize };
  });
}
