import path from 'node:path';
import { installTemporalRuntime, workerOptions } from '../src/worker-bootstrap';
import { loadConfig } from '../src/config';
import { initOrm } from '../src/db/orm';
import { createLogger } from '../src/logger';
import { connectTemporalWorker } from '../src/temporal/connection';
import { createPaymentWorker } from '../src/temporal/create-worker';
import { startupFailureText } from '../src/infra/dependency-start-error';

/** The production worker, with the same settings, plus the empty benchmark workflow and its no-op activity. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'bench-worker');
  installTemporalRuntime(logger);
  const orm = await initOrm({ url: config.database.url as string, poolMax: config.database.poolMax });
  const connection = await connectTemporalWorker({ ...config.temporal, address: config.temporal.address as string });
  const base = workerOptions({ ...config, temporal: { ...config.temporal, address: config.temporal.address as string } }, orm, connection);
  const worker = await createPaymentWorker({
    ...base,
    activities: { ...base.activities, benchNoop: async () => undefined },
    ...(base.workflowBundle ? {} : { workflowsPath: path.join(__dirname, 'bench-workflows.ts') }),
  });
  process.on('SIGTERM', () => worker.shutdown());
  await worker.run();
  await orm.close();
  await connection.close();
}

main().catch((error) => {
  process.stderr.write(`bench worker failed: ${startupFailureText(error)}\n`);
  process.exit(1);
});
