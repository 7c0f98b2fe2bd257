import type { Client } from '@temporalio/client';
import type { Orm } from '../db/orm';
import { EventDispatchLoop } from '../events/event-dispatch-loop';
import { EventRepository } from '../events/event-repository';
import { sqlFor } from '../db/sql';
import type { Logger } from '../logger';
import { MerchantIdKey } from '../temporal/search-attributes';
import { webhookDeliveryWorkflow, type WebhookDeliveryInput } from '../../workflows/webhook-delivery-workflow';
import { startOrJoin } from '../temporal/entity-workflows';
import { webhookDeliveryWorkflowId } from './event-types';
import { WebhookRepository } from './webhook-repository';

export interface DispatchTarget {
  eventId: string;
  merchantId: string;
  eventType: string;
  endpointId: string;
}

/**
 * Starts one delivery workflow; one that exists already (a redispatch) is left alone.
 * `retryTimeScale` (tests and demos) goes into the input only when it changes something.
 */
export async function startDelivery(
  temporal: Client,
  taskQueue: string,
  target: DispatchTarget,
  { redelivery, retryTimeScale = 1 }: { redelivery?: string; retryTimeScale?: number } = {},
): Promise<string> {
  const workflowId = webhookDeliveryWorkflowId(target.eventId, target.endpointId, redelivery);
  const input: WebhookDeliveryInput = {
    eventId: target.eventId,
    endpointId: target.endpointId,
    merchantId: target.merchantId,
    eventType: target.eventType,
  };
  if (retryTimeScale !== 1) input.retryTimeScale = retryTimeScale;
  // A delivery that exists already (running or finished) is joined or left alone.
  await startOrJoin(temporal, webhookDeliveryWorkflow, {
    workflowId,
    taskQueue,
    input,
    searchAttributes: [{ key: MerchantIdKey, value: target.merchantId }],
    summary: `${target.eventType} ${target.eventId} to endpoint ${target.endpointId}${redelivery ? ' (redelivery)' : ''}`,
  });
  return workflowId;
}

/**
 * The outbox relay: events are recorded in the same transaction as the change they describe; this
 * claims the ones not yet dispatched and starts a delivery workflow for each subscribed endpoint.
 * A NOTIFY from the recording transaction wakes it at once; a sweep every few seconds catches
 * anything missed. Several API processes can run it: claims skip rows another one holds.
 */
export class WebhookDispatcher {
  private readonly loop: EventDispatchLoop;

  constructor(
    private readonly deps: {
      orm: Orm;
      temporal: Client;
      taskQueue: string;
      databaseUrl: string;
      logger: Logger;
      sweepMs?: number;
      retryTimeScale?: number;
    },
  ) {
    this.loop = new EventDispatchLoop({
      databaseUrl: deps.databaseUrl,
      logger: deps.logger,
      name: 'webhook dispatcher',
      sweepMs: deps.sweepMs ?? 3_000,
      pass: () => this.dispatchAll(),
    });
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Runs a dispatch pass now, or right after the one under way. */
  kick(): void {
    this.loop.kick();
  }

  private async dispatchAll(): Promise<void> {
    for (;;) {
      const dispatched = await this.deps.orm.em.fork().transactional(async (em) => {
        const webhooks = new WebhookRepository(em);
        const events = await new EventRepository(sqlFor(em)).claimUndispatched();
        for (const event of events) {
          const endpoints = await webhooks.subscribedEndpointIds(event.merchant_id, event.type);
          // A failure to start rolls the claim back: the events are dispatched on a later pass.
          for (const endpoint of endpoints) {
            await startDelivery(
              this.deps.temporal,
              this.deps.taskQueue,
              { eventId: event.id, merchantId: event.merchant_id, eventType: event.type, endpointId: endpoint.id },
              { retryTimeScale: this.deps.retryTimeScale },
            );
          }
        }
        return events.length;
      });
      if (dispatched < 50) return;
    }
  }
}
