import { selectNewestFirst, type Page, type SqlCondition } from '../db/pagination';
import type { Sql } from '../db/sql';
import type { SubscriptionState, SubscriptionStatus } from './subscription-state';

type Row = Record<string, any>;

/** A stored subscription row (joined with its plan's terms) in the shape the renderer takes. */
function stateFromRow(row: Row): SubscriptionState {
  const iso = (value: unknown) => (value == null ? null : new Date(value as string).toISOString());
  return {
    subscriptionId: row.id,
    merchantId: row.merchant_id,
    customerId: row.customer_id,
    plan: {
      planId: row.plan_id,
      name: row.plan_name,
      amountMinor: Number(row.plan_amount_minor),
      currency: row.plan_currency,
      interval: row.plan_interval,
      intervalCount: row.plan_interval_count,
    },
    status: row.status,
    billingAnchor: iso(row.billing_anchor) as string,
    cycle: 0,
    currentPeriodStart: iso(row.current_period_start),
    currentPeriodEnd: iso(row.current_period_end),
    trialStart: iso(row.trial_start),
    trialEnd: iso(row.trial_end),
    cancelAtPeriodEnd: row.cancel_at_period_end,
    canceledAt: iso(row.canceled_at),
    endedAt: iso(row.ended_at),
    pausedAt: iso(row.paused_at),
    latestInvoiceId: row.latest_invoice_id,
    nextBillingAt: iso(row.next_billing_at),
    creditBalanceMinor: Number(row.credit_balance_minor),
    pendingLines: [],
    invoicesIssued: 0,
    metadata: row.metadata ?? {},
    createdAt: iso(row.created_at) as string,
    version: Number(row.version),
  };
}

const SELECT_SUBSCRIPTION = `select s.*, p.name as plan_name, p.amount_minor as plan_amount_minor, p.currency as plan_currency, p.interval as plan_interval,
  p.interval_count as plan_interval_count from subscriptions s join plans p on p.id = s.plan_id`;

// The same rows as one relation, so the list pages through the one cursor pagination.
const SUBSCRIPTIONS_WITH_PLAN = `(${SELECT_SUBSCRIPTION}) s`;

export interface SubscriptionFilters {
  customerId?: string;
  status?: SubscriptionStatus;
}

/**
 * The `subscriptions` table: a projection of each subscription workflow's state, written by its
 * activities and read by the API (never another merchant's), on the caller's transaction.
 */
export class SubscriptionRepository {
  constructor(private readonly sql: Sql) {}

  async findForMerchant(merchantId: string, id: string): Promise<SubscriptionState | null> {
    const [row] = await this.sql.query<Row>(`${SELECT_SUBSCRIPTION} where s.id = ? and s.merchant_id = ?`, [id, merchantId]);
    return row ? stateFromRow(row) : null;
  }

  /** Whether the merchant has a subscription with this id (a list cursor must be its own). */
  async existsForMerchant(merchantId: string, id: string): Promise<boolean> {
    const [row] = await this.sql.query(`select id from subscriptions where id = ? and merchant_id = ?`, [id, merchantId]);
    return row !== undefined;
  }

  /** One page, newest first, after the subscription `startingAfter` (checked to be the merchant's own). */
  async listForMerchant(
    merchantId: string,
    query: SubscriptionFilters & { limit: number; startingAfter?: string },
  ): Promise<Page<SubscriptionState>> {
    const conditions: SqlCondition[] = [['s.merchant_id = ?', merchantId]];
    if (query.customerId) conditions.push(['s.customer_id = ?', query.customerId]);
    if (query.status) conditions.push(['s.status = ?', query.status]);
    const page = await selectNewestFirst<Row>(this.sql, SUBSCRIPTIONS_WITH_PLAN, conditions, query.limit, query.startingAfter);
    return { data: page.data.map(stateFromRow), hasMore: page.hasMore };
  }

  /** The ids of the customer's subscriptions waiting on a failed invoice. */
  async idsAwaitingPayment(merchantId: string, customerId: string): Promise<string[]> {
    const rows = await this.sql.query<{ id: string }>(
      `select id from subscriptions where merchant_id = ? and customer_id = ? and status in ('past_due', 'incomplete', 'unpaid')`,
      [merchantId, customerId],
    );
    return rows.map((row) => row.id);
  }

  /** Writes the workflow's state; `version` only grows: a retried older write never overwrites a newer state. */
  async save(s: SubscriptionState): Promise<void> {
    await this.sql.query(
      `insert into subscriptions (id, merchant_id, customer_id, plan_id, status, billing_anchor, current_period_start, current_period_end,
       trial_start, trial_end, cancel_at_period_end, canceled_at, ended_at, paused_at, latest_invoice_id, next_billing_at,
       credit_balance_minor, metadata, version, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())
     on conflict (id) do update set plan_id = excluded.plan_id, status = excluded.status, billing_anchor = excluded.billing_anchor,
       current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end,
       trial_start = excluded.trial_start, trial_end = excluded.trial_end, cancel_at_period_end = excluded.cancel_at_period_end,
       canceled_at = excluded.canceled_at, ended_at = excluded.ended_at, paused_at = excluded.paused_at,
       latest_invoice_id = excluded.latest_invoice_id, next_billing_at = excluded.next_billing_at,
       credit_balance_minor = excluded.credit_balance_minor, version = excluded.version, updated_at = now()
     where subscriptions.version < excluded.version`,
      [
        s.subscriptionId,
        s.merchantId,
        s.customerId,
        s.plan.planId,
        s.status,
        s.billingAnchor,
        s.currentPeriodStart,
        s.currentPeriodEnd,
        s.trialStart,
        s.trialEnd,
        s.cancelAtPeriodEnd,
        s.canceledAt,
        s.endedAt,
        s.pausedAt,
        s.latestInvoiceId,
        s.nextBillingAt,
        s.creditBalanceMinor,
        JSON.stringify(s.metadata),
        s.version,
        s.createdAt,
      ],
    );
  }
}
