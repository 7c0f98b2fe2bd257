import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { createApp } from './api/app';
import type { AppConfig } from './config';
import type { Orm } from './db/orm';
import type { Logger } from './logger';
import type { Stoppable } from './bootstrap';
import { createApiServices, type ApiServices } from './services';
import { AesGcmPayloadCodec } from './temporal/payload-codec';

export interface RunningApi extends Stoppable {
  /** Where it listens (PORT=0 picks a free port: this says which). */
  url: string;
  services: ApiServices;
}

/** Builds the API's services and app and starts listening; resolves once it listens. */
export async function startApi(config: AppConfig, orm: Orm, temporal: Client, logger: Logger): Promise<RunningApi> {
  const services = createApiServices(config, orm, temporal, logger);
  const app = createApp({
    orm,
    temporal,
    ...services,
    adminApiKey: config.adminApiKey,
    logger,
    temporalCodec: { codec: new AesGcmPayloadCodec(config.temporal.payloadKeys), uiOrigins: config.temporal.uiOrigins },
    metricsToken: config.observability.metricsToken,
    bodyLimit: config.api.bodyLimit,
    dependencyRetryMs: config.api.dependencyRetryMs,
  });
  // Secrets of endpoints from before sealing: sealed here, in code, since the migration has no keys.
  await services.webhooks.sealSecretsInClear(logger);
  await services.decisions.start();
  await services.dispatcher.start();
  await services.receiptDispatcher.start();
  await services.keyRevocations.start();
  await services.oauthRevocations.start();
  // The sandbox's card network sends its scheduled notifications (tok_createDispute) through the same receiver as HTTP.
  services.network.start((gateway, rawBody, signature) => services.gatewayEvents.receive(gateway, rawBody, signature));
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(config.api.port, config.api.host, () => resolve(listening));
    listening.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${config.api.host === '0.0.0.0' ? '127.0.0.1' : config.api.host}:${port}`,
    services,
    async stop() {
      await services.network.stop();
      await services.decisions.stop();
      await services.dispatcher.stop();
      await services.receiptDispatcher.stop();
      await services.keyRevocations.stop();
      await services.oauthRevocations.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would hold close() open.
        server.closeIdleConnections();
      });
      // After the last response: the audit rows still queued are written before the process exits.
      await services.audit.stop();
    },
  };
}
