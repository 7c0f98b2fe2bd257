import path from 'node:path';
import { startApi } from './api-bootstrap';
import { onShutdownSignal, requireSetting } from './bootstrap';
import { loadConfig } from './config';
import { openMigratedDatabase } from './db/open-database';
import { createLogger } from './logger';
import { devPayloadKeys } from './dev/dev-credentials';
import { connectTemporalClient } from './temporal/connection';
import { tracingFromConfig } from './temporal/tracing';
import { startupFailureText } from './infra/dependency-start-error';

/** `npm run api`: serves the HTTP API against DATABASE_URL and TEMPORAL_ADDRESS. */
async function main(): Promise<void> {
  const config = loadConfig();
  // Production refuses to start without TEMPORAL_PAYLOAD_KEYS (loadConfig); elsewhere the key `npm start` keeps in DATA_DIR.
  config.temporal.payloadKeys = devPayloadKeys(path.join(config.dataDir, 'dev-credentials.json'), config.temporal.payloadKeys);
  const logger = createLogger(config.logLevel, 'api');
  // No Temporal runtime here: the API's client speaks gRPC from JavaScript; the native runtime is the worker's.
  const url = requireSetting(
    config.database.url,
    'DATABASE_URL',
    'The API needs PostgreSQL; `npm start` runs everything embedded instead.',
  );
  requireSetting(config.adminApiKey, 'ADMIN_API_KEY', 'Set a long random secret: it authorizes POST /v1/merchants.');
  const address = config.temporal.address ?? '127.0.0.1:7233';
  const orm = await openMigratedDatabase(url, config.database.poolMax, config.database.connectTimeoutMs);
  const tracing = tracingFromConfig(config.observability, 'ledgerflow-api');
  const temporal = await connectTemporalClient({ ...config.temporal, address }, { tracing });
  const api = await startApi(config, orm, temporal, logger);
  logger.info({ url: api.url }, 'API listening');
  onShutdownSignal(logger, async () => {
    await api.stop();
    await temporal.connection.close();
    await tracing?.shutdown();
    await orm.close();
  });
}

main().catch((error) => {
  process.stderr.write(`API failed to start: ${startupFailureText(error)}\n`);
  process.exit(1);
});
