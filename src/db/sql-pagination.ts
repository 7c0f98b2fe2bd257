import type { Sql } from './sql';

/** One SQL condition with its `?` values, e.g. `['merchant_id = ?', merchantId]`. */
export type SqlCondition = [clause: string, ...values: unknown[]];

/**
 * One page of a table's rows matching every condition, newest first by (created_at, id), after
 * the row `startingAfter` (an id the caller has checked exists): Stripe's cursor pagination in plain
 * SQL. The cursor's position is read in the query itself, so timestamps keep their microseconds.
 */
export async function selectNewestFirst<Row>(
  sql: Sql, table: string, conditions: SqlCondition[], limit: number, startingAfter?: string,
): Promise<{ rows: Row[]; hasMore: boolean }> {
  const all: SqlCondition[] = startingAfter
    ? [...conditions, [`(created_at, id) < (select created_at, id from ${table} where id = ?)`, startingAfter]]
    : conditions;
  const rows = await sql.query<Row>(
    `select * from ${table} where ${all.map(([clause]) => clause).join(' and ')} order by created_at desc, id desc limit ?`,
    [...all.flatMap(([, ...values]) => values), limit + 1],
  );
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}
