import type { Sql } from '../db/sql';
import type { SubscriptionCheckFindings, SubscriptionCheckRunRecord, SubscriptionCheckSummary } from './subscription-check-record';

type Row = Record<string, any>;

/** An open invoice the check reports, with the reasons it is late (each checked in the query). */
export interface PastDueInvoiceRow {
  id: string;
  merchantId: string;
  subscriptionId: string;
  currency: string;
  amountDueMinor: number;
  amountPaidMinor: number;
  attemptCount: number;
  nextPaymentAttempt: Date | null;
  createdAt: Date;
  attemptOverdue: boolean;
  noAttempt: boolean;
  pastHorizon: boolean;
}

/** A subscription not canceled, as the check looks at it. */
export interface LiveSubscriptionRow {
  id: string;
  merchantId: string;
  status: string;
  nextBillingAt: Date | null;
}

/** 'and <column> = any($n)' when the check is limited to some merchants. */
function merchantFilter(column: string, merchantIds: string[] | undefined, position: number): string {
  return merchantIds ? `and ${column} = any($${position})` : '';
}

/**
 * The daily subscription check's reads of `invoices` and `subscriptions`, and its runs in
 * `subscription_check_runs`, on the caller's transaction (a plain pg connection: numbered
 * parameters, arrays sent as PostgreSQL arrays).
 */
export class SubscriptionCheckRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Open invoices whose next attempt is before `graceCut`, that have none scheduled since before it,
   * or that were created before `horizonCut`: the oldest `limit` of them, and how many there are in all.
   */
  async pastDueInvoices(
    graceCut: Date,
    horizonCut: Date,
    limit: number,
    merchantIds?: string[],
  ): Promise<{ total: number; invoices: PastDueInvoiceRow[] }> {
    const rows = await this.sql.query<Row>(
      `select i.id, i.merchant_id, i.subscription_id, trim(i.currency) as currency, i.amount_due_minor, i.amount_paid_minor, i.attempt_count,
              i.next_payment_attempt, i.created_at, count(*) over () as total,
              i.next_payment_attempt < $1 as attempt_overdue,
              -- The workflow clears the next attempt just before marking the invoice uncollectible: only a lasting gap is a finding.
              (i.next_payment_attempt is null and i.updated_at < $1) as no_attempt,
              i.created_at < $2 as past_horizon
         from invoices i
        where i.status = 'open' and (i.next_payment_attempt < $1 or (i.next_payment_attempt is null and i.updated_at < $1) or i.created_at < $2)
          ${merchantFilter('i.merchant_id', merchantIds, 4)}
        order by i.created_at, i.id limit $3`,
      merchantIds ? [graceCut, horizonCut, limit, merchantIds] : [graceCut, horizonCut, limit],
    );
    return {
      total: rows.length > 0 ? Number(rows[0].total) : 0,
      invoices: rows.map((row) => ({
        id: row.id,
        merchantId: row.merchant_id,
        subscriptionId: row.subscription_id,
        currency: row.currency,
        amountDueMinor: Number(row.amount_due_minor),
        amountPaidMinor: Number(row.amount_paid_minor),
        attemptCount: row.attempt_count,
        nextPaymentAttempt: row.next_payment_attempt,
        createdAt: row.created_at,
        attemptOverdue: row.attempt_overdue,
        noAttempt: row.no_attempt,
        pastHorizon: row.past_horizon,
      })),
    };
  }

  /** Up to `pageSize` subscriptions not canceled, by id, after `afterId` ('' for the first page). */
  async liveSubscriptionsPage(afterId: string, pageSize: number, merchantIds?: string[]): Promise<LiveSubscriptionRow[]> {
    const rows = await this.sql.query<Row>(
      `select id, merchant_id, status, next_billing_at from subscriptions
          where status <> 'canceled' and id > $1 ${merchantFilter('merchant_id', merchantIds, 3)} order by id limit $2`,
      merchantIds ? [afterId, pageSize, merchantIds] : [afterId, pageSize],
    );
    return rows.map((row) => ({ id: row.id, merchantId: row.merchant_id, status: row.status, nextBillingAt: row.next_billing_at }));
  }

  /** Which of these subscriptions are canceled now. */
  async canceledAmong(ids: string[]): Promise<Set<string>> {
    const rows = await this.sql.query<{ id: string }>(`select id from subscriptions where id = any(?) and status = 'canceled'`, [ids]);
    return new Set(rows.map((row) => row.id));
  }

  /** Stores a run under its key (a retried run replaces what it stored) and answers the stored run's id. */
  async saveRun(run: {
    id: string;
    runKey: string;
    asOf: Date;
    summary: SubscriptionCheckSummary;
    findings: SubscriptionCheckFindings;
  }): Promise<string> {
    const [row] = await this.sql.query<{ id: string }>(
      `insert into subscription_check_runs (id, run_key, as_of, summary, findings) values (?, ?, ?, ?, ?)
       on conflict (run_key) do update set as_of = excluded.as_of, summary = excluded.summary, findings = excluded.findings
       returning id`,
      [run.id, run.runKey, run.asOf, JSON.stringify(run.summary), JSON.stringify(run.findings)],
    );
    return row.id;
  }

  /** The most recent runs, newest first. */
  async listRecent(limit: number): Promise<SubscriptionCheckRunRecord[]> {
    const rows = await this.sql.query<Row>(
      `select id, as_of, summary, findings, created_at from subscription_check_runs order by created_at desc, id desc limit ?`,
      [limit],
    );
    return rows.map((row) => ({ id: row.id, asOf: row.as_of, summary: row.summary, findings: row.findings, createdAt: row.created_at }));
  }
}
