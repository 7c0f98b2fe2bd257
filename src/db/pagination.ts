import type { EntityManager, EntityName, FilterQuery } from '@mikro-orm/postgresql';

interface Cursorable {
  id: string;
  createdAt: Date;
}

/** One page, newest first, after the `startingAfter` row: Stripe's cursor pagination, stable under inserts. */
export async function listNewestFirst<T extends Cursorable>(
  em: EntityManager, entity: EntityName<T>, where: FilterQuery<T>, limit: number, startingAfter?: T,
): Promise<{ data: T[]; hasMore: boolean }> {
  const cursor = startingAfter
    ? { $or: [{ createdAt: { $lt: startingAfter.createdAt } }, { createdAt: startingAfter.createdAt, id: { $lt: startingAfter.id } }] }
    : {};
  const rows = await em.find(entity, { $and: [where, cursor] } as FilterQuery<T>, {
    orderBy: { createdAt: 'desc', id: 'desc' } as never, limit: limit + 1, disableIdentityMap: true,
  });
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}
