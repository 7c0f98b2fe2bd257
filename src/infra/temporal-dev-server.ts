import { Connection, isGrpcServiceError } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { msToTs } from '@temporalio/common/lib/time';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnManaged, type ManagedChild } from './child-processes';
import { DependencyStartError, describeSystemError, indentLines } from './dependency-start-error';

/** Search attribute types accepted by `temporal server start-dev --search-attribute`. */
export type SearchAttributeType = 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/** How to run `temporal server start-dev`. */
export interface DevServerOptions {
  cliPath: string;
  /** Default 127.0.0.1. */
  ip?: string;
  /** Frontend gRPC port, default 7233. */
  port?: number;
  /** Default port + 1000 (8233 for the default port). */
  uiPort?: number;
  headless?: boolean;
  /** Default 'default'. */
  namespace?: string;
  /** SQLite file to keep state across restarts; undefined = in-memory. */
  dbFilename?: string;
  searchAttributes?: Record<string, SearchAttributeType>;
  uiCodecEndpoint?: string;
  /** e.g. ['journal_mode=WAL', 'synchronous=NORMAL']. */
  sqlitePragmas?: string[];
  dynamicConfig?: Record<string, string | number | boolean>;
  /** Server output is appended here; without it, it is kept in memory only for error messages. */
  logFile?: string;
  /** Default 60 s. */
  startupTimeoutMs?: number;
  log?: (message: string) => void;
}

/** A dev server this process started, or one it found already running. */
export interface RunningDevServer {
  /** host:port of the gRPC frontend. */
  address: string;
  uiUrl?: string;
  namespace: string;
  pid?: number;
  reused: boolean;
  stop(): Promise<void>;
}

const INDEXED_TYPE_NAMES = {
  Keyword: 'KEYWORD',
  Text: 'TEXT',
  Int: 'INT',
  Double: 'DOUBLE',
  Bool: 'BOOL',
  Datetime: 'DATETIME',
  KeywordList: 'KEYWORD_LIST',
} as const;

const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;

/** Starts `temporal server start-dev` with the given options and resolves once its frontend answers. */
export async function startTemporalDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? 7233;
  const namespace = options.namespace ?? 'default';
  const address = `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
  const log = options.log ?? (() => undefined);

  if (await isListening(ip, port)) {
    if (!(await answersAsTemporal(address))) {
      throw devServerFailure(
        options.cliPath,
        `port ${address} is taken by something that is not a Temporal frontend`,
        'stop that program or choose another port.',
      );
    }
    log(`Temporal: reusing the server already answering at ${address}`);
    await withConnection(address, 10_000, async (connection) => {
      await ensureNamespace(connection, namespace);
      await ensureSearchAttributes(connection, namespace, options.searchAttributes ?? {});
    });
    return { address, namespace, reused: true, stop: async () => undefined };
  }

  if (options.dbFilename) await fs.mkdir(path.dirname(path.resolve(options.dbFilename)), { recursive: true });
  if (options.logFile) await fs.mkdir(path.dirname(path.resolve(options.logFile)), { recursive: true });
  const started = Date.now();
  const child = spawnManaged(options.cliPath, buildDevServerArgs(options), {
    logFile: options.logFile,
    stopSignal: 'SIGTERM',
    exitSignal: 'SIGKILL',
    stopTimeoutMs: 10_000,
  });
  try {
    await waitUntilReady(child, options.cliPath, { ip, port, address, namespace }, options.startupTimeoutMs ?? 60_000);
    // start-dev ignores --search-attribute for attributes missing from an existing db file, so register them explicitly.
    await withConnection(address, 10_000, (connection) => ensureSearchAttributes(connection, namespace, options.searchAttributes ?? {}));
  } catch (error) {
    await child.stop();
    throw error;
  }
  const uiPort = options.uiPort ?? port + 1000;
  log(`Temporal: dev server ready at ${address} in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${child.pid})`);
  return {
    address,
    namespace,
    uiUrl: options.headless ? undefined : `http://${ip.includes(':') ? `[${ip}]` : ip}:${uiPort}`,
    pid: child.pid,
    reused: false,
    stop: () => child.stop(),
  };
}

/** Builds the `temporal server start-dev` argument list for the given options. */
export function buildDevServerArgs(options: DevServerOptions): string[] {
  const port = options.port ?? 7233;
  const args = ['server', 'start-dev', '--ip', options.ip ?? '127.0.0.1', '--port', String(port)];
  if (options.headless) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort ?? port + 1000));
  const namespace = options.namespace ?? 'default';
  // 'default' always exists; start-dev would try to create it twice.
  if (namespace !== 'default') args.push('--namespace', namespace);
  if (options.dbFilename) args.push('--db-filename', path.resolve(options.dbFilename));
  for (const [name, type] of Object.entries(options.searchAttributes ?? {})) args.push('--search-attribute', `${name}=${type}`);
  if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  for (const pragma of options.sqlitePragmas ?? []) args.push('--sqlite-pragma', pragma);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  args.push('--log-level', 'warn');
  return args;
}

/** Finds a free TCP port on 127.0.0.1. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Target {
  ip: string;
  port: number;
  address: string;
  namespace: string;
}

async function waitUntilReady(child: ManagedChild, cliPath: string, target: Target, timeoutMs: number): Promise<void> {
  const { ip, port, address, namespace } = target;
  const deadline = Date.now() + timeoutMs;
  let exitedEarly = false;
  void child.exited.then(() => (exitedEarly = true));
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitedEarly) {
      const { code, signal, error } = await child.exited;
      if (error) {
        const remedy = (error as NodeJS.ErrnoException).code === 'EACCES' ? `restore its execute bit (chmod +x ${cliPath}), ` : '';
        throw devServerFailure(
          cliPath,
          describeSystemError(error),
          `${remedy}remove .tools/ so it is installed again, or set TEMPORAL_CLI_PATH to a working temporal CLI.`,
        );
      }
      throw devServerFailure(
        cliPath,
        `it exited before it was ready (exit code ${code ?? 'none'}, signal ${signal ?? 'none'}); its last output:\n${indentLines(child.recentOutput(30))}`,
        'fix what the output says (a port in use, a damaged db file under .data/temporal/), or set TEMPORAL_ADDRESS to a Temporal server of your own.',
      );
    }
    try {
      // A plain TCP check first: a gRPC connect to a closed port only fails after its whole timeout.
      if (!(await isListening(ip, port))) throw new Error(`nothing listens on ${address} yet`);
      await withConnection(address, 2_000, async (connection) => {
        await connection.workflowService.getSystemInfo({});
        await connection.workflowService.describeNamespace({ namespace });
      });
      return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw devServerFailure(
    cliPath,
    `the server at ${address} did not answer within ${timeoutMs} ms (last error: ${String(lastError)}); its last output:\n${indentLines(child.recentOutput(30))}`,
    'look for another program on that port or a machine too busy to start it in time; set TEMPORAL_ADDRESS to use a server of your own.',
  );
}

function devServerFailure(cliPath: string, cause: string, remedy: string): DependencyStartError {
  return new DependencyStartError({ dependency: 'Temporal dev server', step: 'temporal server start-dev', path: cliPath, cause, remedy });
}

async function answersAsTemporal(address: string): Promise<boolean> {
  try {
    await withConnection(address, 3_000, (connection) => connection.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}

async function withConnection<T>(address: string, timeoutMs: number, fn: (connection: Connection) => Promise<T>): Promise<T> {
  // lazy() + ensureConnected() rather than connect(): a failed connect() leaves an unclosable channel that keeps the process alive.
  const connection = Connection.lazy({ address, connectTimeout: timeoutMs });
  try {
    await connection.ensureConnected();
    // The client retries Unavailable errors on its own; the deadline keeps a probe short.
    return await connection.withDeadline(Date.now() + timeoutMs, () => fn(connection));
  } finally {
    await connection.close();
  }
}

async function ensureNamespace(connection: Connection, namespace: string): Promise<void> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (error) {
    if (!isGrpcServiceError(error) || error.code !== GRPC_NOT_FOUND) throw error;
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
  }
}

async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  wanted: Record<string, SearchAttributeType>,
): Promise<void> {
  if (Object.keys(wanted).length === 0) return;
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing: Record<string, number> = {};
  const mismatched: string[] = [];
  for (const [name, type] of Object.entries(wanted)) {
    const code = indexedValueType(type);
    const existing = customAttributes?.[name];
    if (existing === undefined || existing === null) missing[name] = code;
    else if (existing !== code) mismatched.push(`${name} exists as ${typeName(existing)} but ${type} was requested`);
  }
  if (mismatched.length > 0) {
    throw new Error(`Search attribute type conflict in namespace ${namespace}: ${mismatched.join('; ')}. Use a fresh db file.`);
  }
  if (Object.keys(missing).length === 0) return;
  // This db file is the embedded server's own: attributes it holds that we no longer define are
  // leftovers of earlier versions (the old "Status", "RefundId" and "DisputeId"), and the server
  // allows only ten Keyword attributes, so they make way for the new ones (such as "CustomerId").
  const retired = Object.keys(customAttributes ?? {}).filter((name) => !(name in wanted));
  if (retired.length > 0) await connection.operatorService.removeSearchAttributes({ namespace, searchAttributes: retired });
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (error) {
    if (!isGrpcServiceError(error) || error.code !== GRPC_ALREADY_EXISTS) throw error;
  }
}

function indexedValueType(type: SearchAttributeType): number {
  const code = encodeSearchAttributeIndexedValueType(INDEXED_TYPE_NAMES[type]);
  if (code === undefined) throw new Error(`unknown search attribute type ${type}`);
  return code;
}

function typeName(code: number): string {
  const names = Object.keys(INDEXED_TYPE_NAMES) as SearchAttributeType[];
  return names.find((name) => indexedValueType(name) === code) ?? `type #${code}`;
}

/** Whether something accepts TCP connections on host:port. */
export function isListening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
