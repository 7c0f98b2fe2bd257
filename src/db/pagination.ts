import type { EntityManager, EntityName } from '@mikro-orm/postgresql';
import { sqlFor, type Sql } from './sql';

/** One SQL condition with its `?` values, e.g. `['merchant_id = ?', merchantId]`. */
export type SqlCondition = [clause: string, ...values: unknown[]];

/** One page of a list, as every list endpoint answers it (`has_more` tells whether to ask for the next). */
export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

/**
 * The one cursor pagination of every list: a table's rows matching every condition, newest first
 * by (created_at, id), after the row `startingAfter` (an id the caller has checked is its own):
 * Stripe's `starting_after`, stable under inserts. The cursor's position is read in the query
 * itself, so timestamps keep their microseconds.
 */
export async function selectNewestFirst<Row>(
  sql: Sql,
  table: string,
  conditions: SqlCondition[],
  limit: number,
  startingAfter?: string,
): Promise<Page<Row>> {
  const all: SqlCondition[] = startingAfter
    ? [...conditions, [`(created_at, id) < (select created_at, id from ${table} where id = ?)`, startingAfter]]
    : conditions;
  const where = all.length > 0 ? `where ${all.map(([clause]) => clause).join(' and ')}` : '';
  const rows = await sql.query<Row>(`select * from ${table} ${where} order by created_at desc, id desc limit ?`, [
    ...all.flatMap(([, ...values]) => values),
    limit + 1,
  ]);
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}

/** The same page for a table the ORM maps: rows become the entity's records (property names, custom types). */
export async function selectEntitiesNewestFirst<T extends object>(
  em: EntityManager,
  entity: EntityName<T>,
  table: string,
  conditions: SqlCondition[],
  limit: number,
  startingAfter?: string,
): Promise<Page<T>> {
  const page = await selectNewestFirst<Record<string, unknown>>(sqlFor(em), table, conditions, limit, startingAfter);
  return { data: page.data.map((row) => em.map(entity, row as never)), hasMore: page.hasMore };
}
