import { Client } from 'pg';
import { withPatience } from '../shared/patience';

/** Resolves once PostgreSQL accepts a connection: an API or worker started while the database restarts waits for it instead of exiting. */
export async function waitForPostgres(url: string, timeoutMs: number): Promise<void> {
  await withPatience(timeoutMs, async () => {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  });
}
