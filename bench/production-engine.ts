import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';

/**
 * The Temporal server users run past one machine, for the benchmark's production shape: the real
 * server (`go install go.temporal.io/server/cmd/server@v1.32.2`, with its schema tool
 * `.../cmd/tools/sql@v1.32.2`) on PostgreSQL with several history shards, instead of the dev
 * server's SQLite and single shard. Not for `npm test`: it takes a Go toolchain and a long build.
 */

export const TEMPORAL_SERVER_VERSION = 'v1.32.2';

export interface ProductionEngineOptions {
  dataDir: string;
  /** The PostgreSQL the engine keeps its own two databases in (they must exist: `temporal`, `temporal_visibility`). */
  postgres: { host: string; port: number; user: string; password: string };
  historyShards: number;
  log: (message: string) => void;
}

export interface RunningProductionEngine {
  address: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * A free port below 32768, with the next one free too (its membership port): the server keeps
 * membership ports in a smallint column, and the kernel's ephemeral ports lie above that.
 */
async function lowFreePort(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + 2 * Math.floor(Math.random() * 6000);
    if (taken.has(port)) continue;
    if ((await free(port)) && (await free(port + 1))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('No two free neighbouring ports below 32768 for the Temporal server');
}
const taken = new Set<number>();

function goBin(): string {
  const gopath = (() => {
    try {
      return execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
    } catch {
      return path.join(os.homedir(), 'go');
    }
  })();
  return process.env.GOBIN || path.join(gopath, 'bin');
}

/** The server's versioned SQL schemas, from the Go module cache the `go install` filled. */
function schemaDir(): string {
  const modcache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  return path.join(modcache, `go.temporal.io/server@${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12');
}

function requireBinary(file: string, install: string): string {
  if (fs.existsSync(file)) return file;
  throw new Error(
    `${file} is missing: build it with \`GOTOOLCHAIN=auto go install ${install}@${TEMPORAL_SERVER_VERSION}\` (about 15 minutes on 2 cores)`,
  );
}

function configYaml(
  options: ProductionEngineOptions,
  ports: Record<'frontend' | 'history' | 'matching' | 'worker', number>,
  dynamicConfig: string,
) {
  const { host, port, user, password } = options.postgres;
  const store = (database: string, maxConns: number) => `
      sql:
        pluginName: "postgres12"
        databaseName: "${database}"
        connectAddr: "${host}:${port}"
        connectProtocol: "tcp"
        user: "${user}"
        password: "${password}"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
  const service = (name: keyof typeof ports, membership: number) => `
  ${name}:
    rpc:
      grpcPort: ${ports[name]}
      membershipPort: ${membership}
      bindOnLocalHost: true`;
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${options.historyShards}
  datastores:
    default:${store('temporal', 20)}
    visibility:${store('temporal_visibility', 5)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
services:${service('frontend', ports.frontend + 1)}${service('history', ports.history + 1)}${service('matching', ports.matching + 1)}${service('worker', ports.worker + 1)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${ports.frontend}"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: "${dynamicConfig}"
  pollInterval: "10s"
`;
}

/** Creates the engine's schemas (once per data folder), starts the server and registers the `default` namespace. */
export async function startProductionEngine(options: ProductionEngineOptions): Promise<RunningProductionEngine> {
  const bin = goBin();
  const server = requireBinary(path.join(bin, 'server'), 'go.temporal.io/server/cmd/server');
  const sqlTool = requireBinary(path.join(bin, 'sql'), 'go.temporal.io/server/cmd/tools/sql');
  const { host, port, user, password } = options.postgres;
  const base = ['--plugin', 'postgres12', '--ep', host, '-p', String(port), '-u', user, '--pw', password];
  for (const [database, schema] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ]) {
    options.log(`Temporal schema ${database}...`);
    execFileSync(sqlTool, [...base, '--db', database, 'setup-schema', '-v', '0.0'], { stdio: 'ignore' });
    execFileSync(sqlTool, [...base, '--db', database, 'update-schema', '-d', path.join(schemaDir(), schema, 'versioned')], {
      stdio: 'ignore',
    });
  }
  const ports = { frontend: await lowFreePort(), history: await lowFreePort(), matching: await lowFreePort(), worker: await lowFreePort() };
  fs.mkdirSync(options.dataDir, { recursive: true });
  const dynamicConfig = path.join(options.dataDir, 'dynamicconfig.yaml');
  // Search attributes registered a moment ago must be usable at once, as on the dev server.
  fs.writeFileSync(dynamicConfig, 'system.forceSearchAttributesCacheRefreshOnRead:\n  - value: true\n');
  const configFile = path.join(options.dataDir, 'production.yaml');
  fs.writeFileSync(configFile, configYaml(options, ports, dynamicConfig));
  const logFile = fs.openSync(path.join(options.dataDir, 'server.log'), 'a');
  const child: ChildProcess = spawn(server, ['--config-file', configFile, '--allow-no-auth', 'start'], {
    stdio: ['ignore', logFile, logFile],
  });
  const address = `127.0.0.1:${ports.frontend}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`The Temporal server exited at start (${child.exitCode}); see ${options.dataDir}/server.log`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.registerNamespace({
          namespace: 'default',
          workflowExecutionRetentionPeriod: msToTs('1 day'),
        });
      } catch (error) {
        if (!/already exists/i.test(String((error as Error).message))) throw error;
      } finally {
        await connection.close();
      }
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`The Temporal server did not answer within 120 s: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  options.log(`Temporal server ${TEMPORAL_SERVER_VERSION} on PostgreSQL, ${options.historyShards} history shards, at ${address}`);
  return {
    address,
    pid: child.pid as number,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
