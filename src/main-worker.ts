import path from 'node:path';
import { onShutdownSignal, requireSetting } from './bootstrap';
import { installTemporalRuntime, startWorker } from './worker-bootstrap';
import { loadConfig } from './config';
import { openMigratedDatabase } from './db/open-database';
import { createLogger } from './logger';
import { devPayloadKeys } from './dev/dev-credentials';
import { startupFailureText } from './infra/dependency-start-error';

/** `npm run worker`: runs the workflows and activities against DATABASE_URL and TEMPORAL_ADDRESS. */
async function main(): Promise<void> {
  const config = loadConfig();
  // Production refuses to start without TEMPORAL_PAYLOAD_KEYS (loadConfig); elsewhere the key `npm start` keeps in DATA_DIR.
  config.temporal.payloadKeys = devPayloadKeys(path.join(config.dataDir, 'dev-credentials.json'), config.temporal.payloadKeys);
  const logger = createLogger(config.logLevel, 'worker');
  installTemporalRuntime(logger, { prometheusBindAddress: config.observability.temporalMetricsAddress });
  const url = requireSetting(
    config.database.url,
    'DATABASE_URL',
    'The worker needs PostgreSQL; `npm start` runs everything embedded instead.',
  );
  const address = config.temporal.address ?? '127.0.0.1:7233';
  const orm = await openMigratedDatabase(url, config.database.poolMax, config.database.connectTimeoutMs);
  const worker = await startWorker({ ...config, temporal: { ...config.temporal, address } }, orm, logger);
  logger.info({ taskQueue: config.temporal.taskQueue, address }, 'worker running');
  onShutdownSignal(logger, async () => {
    await worker.stop();
    await orm.close();
  });
}

main().catch((error) => {
  process.stderr.write(`worker failed to start: ${startupFailureText(error)}\n`);
  process.exit(1);
});
