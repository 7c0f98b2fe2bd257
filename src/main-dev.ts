import fs from 'node:fs';
import path from 'node:path';
import { startApi } from './api-bootstrap';
import { onShutdownSignal, type Stoppable } from './bootstrap';
import { installTemporalRuntime, startWorker } from './worker-bootstrap';
import { loadConfig } from './config';
import { smtpAddressForDisplay } from './receipts/receipt-mailer';
import { initOrm, migrate } from './db/orm';
import { devAdminKey, devMerchant, devPayloadKeys } from './dev/dev-credentials';
import { codecAccessToken } from './api/codec-router';
import { stopAllManagedChildren } from './infra/child-processes';
import { devCardVaultKeys } from './vault/dev-vault-keys';
import { startEmbeddedPostgres } from './infra/embedded-postgres';
import { ensureTemporalCli } from './infra/temporal-cli';
import { startTemporalDevServer } from './infra/temporal-dev-server';
import { createLogger } from './logger';
import { MerchantService } from './merchants/merchant-service';
import { connectTemporalClient } from './temporal/connection';
import { tracingFromConfig } from './temporal/tracing';
import { registerSearchAttributes } from './temporal/register-search-attributes';
import { CUSTOM_SEARCH_ATTRIBUTES } from './temporal/search-attributes';
import { startupFailureText } from './infra/dependency-start-error';

const ROOT = path.resolve(__dirname, '..');
const say = (message: string) => process.stdout.write(`${message}\n`);

/**
 * `npm start`: the whole processor on one machine with nothing installed by hand. PostgreSQL
 * (embedded, or DATABASE_URL), the Temporal dev server with its UI (or TEMPORAL_ADDRESS), then the
 * worker and the API. State lives under DATA_DIR (.data) and survives restarts.
 */
async function main(): Promise<void> {
  const base = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
  const logger = createLogger(base.logLevel, 'ledgerflow');
  installTemporalRuntime(logger, { prometheusBindAddress: base.observability.temporalMetricsAddress });
  fs.mkdirSync(base.dataDir, { recursive: true });
  const stops: Stoppable[] = [];
  const stopAll = async () => {
    say('\nStopping...');
    for (const part of stops.reverse()) await part.stop().catch((error) => logger.error({ err: error }, 'stop failed'));
    await stopAllManagedChildren();
    say('Stopped.');
  };
  onShutdownSignal(logger, stopAll);

  let databaseUrl = base.database.url;
  if (!databaseUrl) {
    say(`Starting PostgreSQL (embedded, data in ${path.join(base.dataDir, 'postgres')})...`);
    const postgres = await startEmbeddedPostgres({
      dataDir: path.join(base.dataDir, 'postgres'),
      port: base.database.embeddedPort,
      databases: ['ledgerflow'],
      log: (message) => logger.info(message),
      announce: say,
    });
    stops.push(postgres);
    databaseUrl = postgres.url('ledgerflow');
  }

  const credentialsFile = path.join(base.dataDir, 'dev-credentials.json');
  const adminApiKey = devAdminKey(credentialsFile, base.adminApiKey);
  const payloadKeys = devPayloadKeys(credentialsFile, base.temporal.payloadKeys);
  // The API's address is known before it starts, so the embedded UI can be pointed at its codec endpoint.
  const apiUrl = `http://${base.api.host === '0.0.0.0' ? '127.0.0.1' : base.api.host}:${base.api.port}`;
  let temporalAddress = base.temporal.address;
  let temporalUi: string | undefined;
  if (!temporalAddress) {
    const cliPath = await ensureTemporalCli({ toolsDir: path.join(ROOT, '.tools'), explicitPath: base.temporal.cliPath, log: say });
    say('Starting the Temporal dev server...');
    const temporal = await startTemporalDevServer({
      cliPath,
      port: base.temporal.devServerPort,
      uiPort: base.temporal.devServerUiPort,
      namespace: base.temporal.namespace,
      dbFilename: path.join(base.dataDir, 'temporal', 'temporal.db'),
      searchAttributes: CUSTOM_SEARCH_ATTRIBUTES,
      uiCodecEndpoint: `${apiUrl}/codec/${codecAccessToken(adminApiKey)}`,
      sqlitePragmas: ['journal_mode=WAL', 'synchronous=NORMAL'],
      logFile: path.join(base.dataDir, 'temporal', 'server.log'),
      log: (message) => logger.info(message),
    });
    stops.push(temporal);
    temporalAddress = temporal.address;
    temporalUi = temporal.uiUrl;
  }

  const config = {
    ...base,
    adminApiKey,
    database: { ...base.database, url: databaseUrl },
    temporal: { ...base.temporal, address: temporalAddress, payloadKeys },
    cardVault: devCardVaultKeys(base.dataDir, base.cardVault),
  };

  const orm = await initOrm({ url: databaseUrl, poolMax: config.database.poolMax });
  stops.push({ stop: () => orm.close() });
  await migrate(databaseUrl);
  const tracing = tracingFromConfig(config.observability, 'ledgerflow-api');
  if (tracing) stops.push({ stop: () => tracing.shutdown() });
  const client = await connectTemporalClient(config.temporal, { tracing });
  stops.push({ stop: () => client.connection.close() });
  if (base.temporal.address) await registerSearchAttributes(client.connection, config.temporal.namespace);

  stops.push(await startWorker(config, orm, logger));
  const api = await startApi(config, orm, client, logger);
  stops.push(api);
  const merchant = await devMerchant(credentialsFile, new MerchantService(orm));

  say(`
Ledgerflow is running.

  API            ${api.url}            (docs: ${api.url}/docs, health: ${api.url}/health)
  Temporal UI    ${temporalUi ? `${temporalUi}   (payloads decoded by ${api.url}/codec)` : '(external cluster: use its own UI; codec endpoint ' + api.url + '/codec)'}
  Temporal gRPC  ${temporalAddress}  namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}
  PostgreSQL     ${databaseUrl.replace(/\/\/([^:]+):[^@]*@/, '//$1:***@')}
  Receipt emails ${config.mail.smtpUrl ? `sent through ${smtpAddressForDisplay(config.mail.smtpUrl)}` : `written as .eml files to ${config.mail.dir}   (SMTP_URL sends them)`}

  Test merchant  ${merchant.id} (${merchant.created ? 'created' : merchant.reissued ? 'reused; its stored API key was revoked or expired, so a new one was issued' : 'reused'})
  API key        ${merchant.apiKey}
  Admin key      ${config.adminApiKey}   (POST /v1/merchants)

Try it:
  curl -s ${api.url}/v1/payments \\
    -H "Authorization: Bearer ${merchant.apiKey}" -H "Content-Type: application/json" \\
    -d '{"amount": 100.00, "currency": "USD", "source": "tok_visa", "description": "Payment for order #12345"}'

Ctrl-C stops everything.`);
}

main().catch(async (error) => {
  process.stderr.write(`Could not start: ${startupFailureText(error)}\n`);
  await stopAllManagedChildren();
  process.exit(1);
});
