import fs from 'node:fs';
import path from 'node:path';
import { initOrm, migrate } from '../src/db/orm';
import { stopAllManagedChildren } from '../src/infra/child-processes';
import { startupFailureText } from '../src/infra/dependency-start-error';
import { startEmbeddedPostgres } from '../src/infra/embedded-postgres';
import { findFreePort } from '../src/infra/temporal-dev-server';
import { benchLedger } from './ledger-bench';

/**
 * The ledger part of the benchmark alone (npm run bench:ledger): a fresh embedded PostgreSQL, the project's
 * migrations, then postJournalEntry against plain SQL and the pgbench-style physical figure. Quick to repeat
 * while working on the posting path; the full bench runs the same measurement beside the workflows.
 */
async function main(): Promise<void> {
  const dataDir = path.resolve(__dirname, '..', '.data', 'bench-ledger');
  fs.rmSync(dataDir, { recursive: true, force: true });
  const postgres = await startEmbeddedPostgres({ dataDir, port: await findFreePort(), databases: ['ledgerflow_bench'] });
  const url = postgres.url('ledgerflow_bench');
  const orm = await initOrm({ url, poolMax: 8 });
  try {
    await migrate(url);
    const merchantIds = Array.from({ length: 1000 }, (_, i) => `mer_bench_${i}`);
    await orm.em
      .getConnection()
      .execute(`insert into merchants (id, name) select 'mer_bench_' || g, 'bench ledger merchant' from generate_series(0, 999) g`);
    const seconds = Number(process.env.BENCH_SECONDS ?? 5);
    for (const [label, ids] of [
      ['spread', merchantIds],
      ['hot', [merchantIds[0]]],
    ] as const) {
      const result = await benchLedger(orm, url, {
        merchantIds: [...ids],
        label,
        seconds,
        inFlight: 8,
        poolMax: 8,
        postgresPid: postgres.pid,
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    }
  } finally {
    await orm.close();
    await postgres.stop();
    await stopAllManagedChildren();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench:ledger failed: ${startupFailureText(error)}\n`);
    process.exit(1);
  },
);
