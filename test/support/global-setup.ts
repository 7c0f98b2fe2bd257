import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorkflowCode } from '@temporalio/worker';
import { migrate } from '../../src/db/orm';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/infra/embedded-postgres';
import { ensureTemporalCli, ensureTemporalTestServer } from '../../src/infra/temporal-cli';
import { findFreePort, startTemporalDevServer, type RunningDevServer } from '../../src/infra/temporal-dev-server';
import { stopAllManagedChildren } from '../../src/infra/child-processes';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { WORKFLOW_INTERCEPTOR_MODULES, WORKFLOWS_PATH } from '../../src/temporal/create-worker';
import { FAILURE_CONVERTER_PATH } from '../../src/temporal/data-converter';

const ROOT = path.resolve(__dirname, '../..');
const log = (message: string) => process.stderr.write(`[test setup] ${message}\n`);

/**
 * Starts what the tests talk to, once per run: a real PostgreSQL (embedded, or DATABASE_URL's
 * server), a real Temporal dev server (in memory), and the workflow bundle every worker loads.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const toolsDir = path.join(ROOT, '.tools');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-test-'));

  const [cliPath, testServerPath] = await Promise.all([
    ensureTemporalCli({ toolsDir, explicitPath: process.env.TEMPORAL_CLI_PATH, log }),
    ensureTemporalTestServer({ toolsDir, explicitPath: process.env.TEMPORAL_TEST_SERVER_PATH, log }),
  ]);

  let postgres: RunningPostgres | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    postgres = await startEmbeddedPostgres({
      dataDir: path.join(workDir, 'pg'),
      port: await findFreePort(),
      databases: ['ledgerflow_test'],
      log,
    });
    databaseUrl = postgres.url('ledgerflow_test');
  }
  const temporal: RunningDevServer = await startTemporalDevServer({
    cliPath,
    port: await findFreePort(),
    headless: true,
    searchAttributes: CUSTOM_SEARCH_ATTRIBUTES,
    log,
    logFile: path.join(workDir, 'temporal.log'),
  });

  await migrate(databaseUrl);

  const bundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    failureConverterPath: FAILURE_CONVERTER_PATH,
  });
  const workflowBundlePath = path.join(workDir, 'workflow-bundle.js');
  fs.writeFileSync(workflowBundlePath, bundle.code);

  project.provide('databaseUrl', databaseUrl);
  project.provide('temporalAddress', temporal.address);
  project.provide('temporalCliPath', cliPath);
  project.provide('testServerPath', testServerPath);
  project.provide('workflowBundlePath', workflowBundlePath);
  log(
    `ready in ${((Date.now() - started) / 1000).toFixed(1)} s: postgres ${postgres ? 'embedded' : 'from DATABASE_URL'}, temporal ${temporal.address}`,
  );

  return async () => {
    await temporal.stop();
    await postgres?.stop();
    await stopAllManagedChildren();
    fs.rmSync(workDir, { recursive: true, force: true });
  };
}
