import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { createActivities, type Activities } from '../activities';
import type { AppConfig } from './config';
import { GatewayRegistry } from './gateways/payment-gateway';
import { SandboxGateway } from './gateways/sandbox-gateway';
import type { Logger } from './logger';
import { MerchantService } from './merchants/merchant-service';
import { PaymentService } from './payments/payment-service';
import { RefundService } from './refunds/refund-service';

/** The gateways this deployment can charge through; the sandbox is the test-mode default. */
export function createGateways(orm: MikroORM, options: { sandboxResponseDelayMs?: number } = {}): GatewayRegistry {
  return new GatewayRegistry([new SandboxGateway({ orm, responseDelayMs: options.sandboxResponseDelayMs })], 'sandbox');
}

/** The domain services the API uses. */
export function createApiServices(config: AppConfig, orm: MikroORM, temporal: Client, logger: Logger) {
  const gateways = createGateways(orm);
  const merchants = new MerchantService(orm);
  const payments = new PaymentService({
    orm, temporal, gateways, logger,
    taskQueue: config.temporal.taskQueue,
    syncWaitMs: config.payments.syncWaitMs,
    authorizationTtlMs: config.payments.authorizationTtlMs,
    defaultFees: config.fees,
  });
  const refunds = new RefundService({ orm, temporal, taskQueue: config.temporal.taskQueue, syncWaitMs: config.payments.syncWaitMs });
  return { gateways, merchants, payments, refunds };
}

/** The activities a worker registers, with their real dependencies. */
export function createWorkerActivities(config: AppConfig, orm: MikroORM): Activities {
  return createActivities({ orm, gateways: createGateways(orm, { sandboxResponseDelayMs: config.sandbox.responseDelayMs }), fraudPolicy: config.fraud });
}
