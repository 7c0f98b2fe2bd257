import type { Sql } from '../db/sql';
import { selectNewestFirst, type SqlCondition } from '../db/pagination';
import type { PlanInterval, PlanRecord } from './plan-record';

type Row = Record<string, any>;

function toRecord(row: Row): PlanRecord {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    name: row.name,
    amountMinor: Number(row.amount_minor),
    currency: String(row.currency).trim(),
    interval: row.interval as PlanInterval,
    intervalCount: Number(row.interval_count),
    trialPeriodDays: row.trial_period_days === null ? null : Number(row.trial_period_days),
    active: Boolean(row.active),
    metadata: row.metadata ?? {},
    createdAt: new Date(row.created_at),
  };
}

/** A merchant's plans in the `plans` table; never another merchant's. */
export class PlanRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts the plan unless its id exists: a replayed Idempotency-Key lands on the row the first request wrote. */
  async insertIfAbsent(plan: PlanRecord): Promise<void> {
    await this.sql.query(
      `insert into plans (id, merchant_id, name, amount_minor, currency, interval, interval_count, trial_period_days, active, metadata, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?) on conflict (id) do nothing`,
      [
        plan.id,
        plan.merchantId,
        plan.name,
        plan.amountMinor,
        plan.currency,
        plan.interval,
        plan.intervalCount,
        plan.trialPeriodDays,
        plan.active,
        JSON.stringify(plan.metadata),
        plan.createdAt,
      ],
    );
  }

  async findForMerchant(merchantId: string, id: string): Promise<PlanRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from plans where id = ? and merchant_id = ?`, [id, merchantId]);
    return row ? toRecord(row) : null;
  }

  async listForMerchant(
    merchantId: string,
    query: { active?: boolean; limit: number; startingAfter?: string },
  ): Promise<{ data: PlanRecord[]; hasMore: boolean }> {
    const conditions: SqlCondition[] = [['merchant_id = ?', merchantId]];
    if (query.active !== undefined) conditions.push(['active = ?', query.active]);
    const page = await selectNewestFirst<Row>(this.sql, 'plans', conditions, query.limit, query.startingAfter);
    return { data: page.data.map(toRecord), hasMore: page.hasMore };
  }
}
