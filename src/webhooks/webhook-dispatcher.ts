import type { Client } from '@temporalio/client';
import type { Orm } from '../db/orm';
import { ListenClient } from '../db/listen-client';
import { EVENT_RECORDED_CHANNEL, EventRepository } from '../events/event-repository';
import { sqlFor } from '../db/sql';
import type { Logger } from '../logger';
import { dependencyOutage } from '../api/transient-failures';
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
  private listener?: ListenClient;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

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
  ) {}

  async start(): Promise<void> {
    // While the listener reconnects the sweeps still dispatch; back, it sweeps at once for what it missed.
    this.listener = new ListenClient({
      url: this.deps.databaseUrl,
      channel: EVENT_RECORDED_CHANNEL,
      logger: this.deps.logger,
      name: 'webhook dispatcher',
      onNotification: () => this.kick(),
      onReconnected: () => this.kick(),
    });
    await this.listener.start();
    this.timer = setInterval(() => this.kick(), this.deps.sweepMs ?? 3_000);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.listener?.stop();
  }

  /** Runs a dispatch pass now, or right after the one under way. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.dispatchAll()
      .catch((error) => this.deps.logger[dependencyOutage(error) ? 'warn' : 'error']({ err: error }, 'webhook dispatch failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
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
