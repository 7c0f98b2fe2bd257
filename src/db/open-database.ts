import { withPatience } from '../shared/patience';
import { initOrm, migrate, type Orm } from './orm';

/**
 * The ORM of a starting API or worker, with migrations applied. Both steps wait for PostgreSQL
 * while it restarts (up to `timeoutMs`), and migrating is tried again whole if the server goes
 * away half-way: a process started during a restart waits instead of exiting.
 */
export async function openMigratedDatabase(url: string, poolMax: number, timeoutMs: number): Promise<Orm> {
  const orm = await withPatience(timeoutMs, () => initOrm({ url, poolMax }));
  await withPatience(timeoutMs, () => migrate(url));
  return orm;
}
