import fs from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import type { AppConfig } from '../config';
import { withPatience } from '../shared/patience';
import { temporalDataConverter } from './data-converter';
import type { Tracing } from './tracing';

type TemporalSettings = AppConfig['temporal'] & { address: string };

function tlsOptions(settings: TemporalSettings) {
  if (!settings.tls) return undefined;
  const { certPath, keyPath, caPath, serverName } = settings.tls;
  return {
    serverNameOverride: serverName,
    serverRootCACertificate: caPath ? fs.readFileSync(caPath) : undefined,
    clientCertPair: certPath && keyPath ? { crt: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) } : undefined,
  };
}

function connectionOptions(settings: TemporalSettings): ConnectionOptions & NativeConnectionOptions {
  return {
    address: settings.address,
    tls: tlsOptions(settings),
    apiKey: settings.apiKey,
    // Temporal Cloud with API keys routes by this header.
    metadata: settings.apiKey ? { 'temporal-namespace': settings.namespace } : undefined,
  };
}

/**
 * A client for starting and steering workflows (API side); its payloads are encrypted with the
 * configured keys. With `tracing`, each start, signal and update is a span whose context travels to the workflow.
 */
export async function connectTemporalClient(settings: TemporalSettings, options: { tracing?: Tracing } = {}): Promise<Client> {
  const dataConverter = temporalDataConverter(settings.payloadKeys);
  const connection = await withPatience(settings.connectTimeoutMs ?? 0, () => Connection.connect(connectionOptions(settings)));
  // Loaded only when tracing is on, so an untraced API never loads OpenTelemetry.
  const interceptors = options.tracing
    ? {
        workflow: [
          new (
            require('@temporalio/interceptors-opentelemetry') as typeof import('@temporalio/interceptors-opentelemetry')
          ).OpenTelemetryWorkflowClientInterceptor({ tracer: options.tracing.tracer }),
        ],
      }
    : undefined;
  return new Client({ connection, namespace: settings.namespace, dataConverter, interceptors });
}

/** A bare connection for operator calls that carry no payloads (registering search attributes). */
export async function connectTemporalOperator(settings: TemporalSettings): Promise<Connection> {
  return Connection.connect(connectionOptions(settings));
}

/** A native connection for workers (the worker's SDK loads here, never in an API process). */
export async function connectTemporalWorker(settings: TemporalSettings): Promise<NativeConnection> {
  const { NativeConnection } = require('@temporalio/worker') as typeof import('@temporalio/worker');
  return withPatience(settings.connectTimeoutMs ?? 0, () => NativeConnection.connect(connectionOptions(settings)));
}
