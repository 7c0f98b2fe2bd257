import type { Sql } from '../db/sql';
import { ledgerAccounts } from '../ledger/ledger-accounts';
import { startOfUtcDay } from '../shared/utc-days';
import type { LedgerSettlementItem } from './reconcile';
import type { ReconciliationKind } from './reconciliation-record';

/** The ledger entries a run reconciles. */
export interface LedgerScope {
  /** One merchant's entries, or null for every merchant's (a platform run). */
  merchantId: string | null;
  /** One gateway's entries (for payouts, one bank network's), or null for every one's. */
  gateway: string | null;
  /** For payouts, only those sent through this gateway account; absent or null for every one. */
  gatewayAccountId?: string | null;
  /** First UTC day of the period, YYYY-MM-DD. */
  periodStart: string;
  /** Last UTC day of the period, inclusive. */
  periodEnd: string;
}

/** The ledger's side of a reconciliation: the entries a run's file is classified against, read on the run's snapshot. */
export class ReconciliationLedgerRepository {
  constructor(private readonly sql: Sql) {}

  /** The ledger's side of a run of this kind: captures and refunds for a settlement, payouts paid and returned for a bank statement. */
  async ledgerItems(kind: ReconciliationKind, scope: LedgerScope): Promise<LedgerSettlementItem[]> {
    return kind === 'payouts' ? this.ledgerPayoutItems(scope) : this.ledgerSettlementItems(scope);
  }

  /**
   * The payout entries that moved money through a bank in the period (`payout:<id>:paid` and
   * `payout:<id>:returned`: the only ones that touch a payout bank account), each as the bank
   * should report it: under the payout's bank reference, negative when paid out and positive when
   * returned. The period is the bank's: an entry counts on the day the bank paid or returned the
   * transfer (the payout's `paid_at` / `returned_at`), which is the statement's day even when the
   * workflow recorded it hours later; an entry without one counts when it was posted. Failures and
   * cancels before payment never reached the bank and are not listed.
   */
  async ledgerPayoutItems(scope: LedgerScope): Promise<LedgerSettlementItem[]> {
    const from = startOfUtcDay(scope.periodStart);
    const to = startOfUtcDay(scope.periodEnd, 1);
    // Only paid and returned entries post to a payout bank account; created, failed and canceled stop at in-transit.
    const [bankCondition, bankAccount] = scope.gateway
      ? ['c.account = ?', ledgerAccounts.payoutBank(scope.gateway)]
      : ['starts_with(c.account, ?)', ledgerAccounts.payoutBank('')];
    const params: unknown[] = [bankAccount, from, to];
    const merchant = scope.merchantId ? 'and e.merchant_id = ?' : '';
    if (scope.merchantId) params.push(scope.merchantId);
    const account = scope.gatewayAccountId ? 'and p.gateway_account_id = ?' : '';
    if (scope.gatewayAccountId) params.push(scope.gatewayAccountId);
    const rows = await this.sql.query<{
      entry_id: string;
      source_id: string;
      reference: string | null;
      currency: string;
      amount_minor: string;
    }>(
      `select e.id as entry_id, e.source_id, p.bank_reference as reference, c.currency, -sum(c.amount_minor) as amount_minor
         from ledger_entries e
         join ledger_postings c on c.entry_id = e.id and ${bankCondition}
         left join payouts p on p.id = e.source_id
        where e.source_type = 'payout'
          and coalesce(case when e.idempotency_key = 'payout:' || e.source_id || ':returned' then p.returned_at else p.paid_at end, e.created_at)
              between ? and ?::timestamptz - interval '1 microsecond' ${merchant} ${account}
        group by e.id, p.bank_reference, c.currency
        order by e.created_at, e.id`,
      params,
    );
    return rows.map((row) => ({
      entryId: row.entry_id,
      sourceType: 'payout' as const,
      sourceId: row.source_id,
      reference: row.reference,
      currency: row.currency,
      amountMinor: Number(row.amount_minor),
    }));
  }

  /**
   * The gateway accounts whose payouts a day's run checks, with their merchants: each account that sent a
   * payout over `network` on or after `since` (older payouts have arrived and could have come back by then),
   * or only those of `gatewayAccountIds` when given (that sent any).
   */
  async payoutGatewayAccounts(
    network: string,
    since: Date,
    gatewayAccountIds?: string[],
  ): Promise<{ gatewayAccountId: string; merchantId: string }[]> {
    const [filter, params] = gatewayAccountIds
      ? // One placeholder per id: an array parameter would be expanded by one Sql handle and not by the other.
        [`p.gateway_account_id in (${gatewayAccountIds.map(() => '?').join(', ') || 'null'})`, [network, ...gatewayAccountIds]]
      : ['p.gateway_account_id is not null and p.created_at >= ?', [network, since]];
    const rows = await this.sql.query<{ gateway_account_id: string; merchant_id: string }>(
      `select distinct p.gateway_account_id, p.merchant_id from payouts p where p.network = ? and ${filter} order by 1`,
      params,
    );
    return rows.map((row) => ({ gatewayAccountId: row.gateway_account_id, merchantId: row.merchant_id }));
  }

  /**
   * The capture and refund entries posted in the period, each as the gateway should report it:
   * the reference the gateway gave the charge or refund (payments.gateway_reference is the
   * authorization, refunds.gateway_reference the refund) and the amount that moved through the
   * gateway's clearing account, positive for captures and negative for refunds.
   */
  async ledgerSettlementItems(scope: LedgerScope): Promise<LedgerSettlementItem[]> {
    const from = startOfUtcDay(scope.periodStart);
    const to = startOfUtcDay(scope.periodEnd, 1);
    const params: unknown[] = [];
    let clearing: string;
    if (scope.gateway) {
      // A posting carries its entry's timestamp (one statement, one now()), so the same range also
      // narrows the scan through ledger_postings (account, created_at) for platform-wide runs.
      clearing = 'c.account = ? and c.created_at >= ? and c.created_at < ?';
      params.push(ledgerAccounts.gatewayClearing(scope.gateway), from, to);
    } else {
      clearing = 'starts_with(c.account, ?)';
      params.push(ledgerAccounts.gatewayClearing(''));
    }
    params.push(from, to);
    const merchant = scope.merchantId ? 'and e.merchant_id = ?' : '';
    if (scope.merchantId) params.push(scope.merchantId);
    const rows = await this.sql.query<{
      entry_id: string;
      source_type: 'payment' | 'refund';
      source_id: string;
      reference: string | null;
      currency: string;
      amount_minor: string;
    }>(
      `select e.id as entry_id, e.source_type, e.source_id, coalesce(p.gateway_reference, r.gateway_reference) as reference,
            c.currency, -sum(c.amount_minor) as amount_minor
       from ledger_entries e
       join ledger_postings c on c.entry_id = e.id and ${clearing}
       left join payments p on e.source_type = 'payment' and p.id = e.source_id
       left join refunds r on e.source_type = 'refund' and r.id = e.source_id
      where e.source_type in ('payment', 'refund') and e.created_at >= ? and e.created_at < ? ${merchant}
      group by e.id, p.gateway_reference, r.gateway_reference, c.currency
      order by e.created_at, e.id`,
      params,
    );
    return rows.map((row) => ({
      entryId: row.entry_id,
      sourceType: row.source_type,
      sourceId: row.source_id,
      reference: row.reference,
      currency: row.currency,
      amountMinor: Number(row.amount_minor),
    }));
  }
}
