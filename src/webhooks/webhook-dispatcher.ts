import { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import { EVENT_RECORDED_CHANNEL } from '../events/event-recorder';
import type { Logger } from '../logger';
import { MerchantIdKey } from '../temporal/search-attributes';
import { webhookDeliveryWorkflowId } from './event-types';

export interface DispatchTarget {
  eventId: string;
  merchantId: string;
  eventType: string;
  endpointId: string;
}

/** Starts one delivery workflow; a workflow that exists already (a redispatch) is left alone. */
export async function startDelivery(temporal: Client, taskQueue: string, target: DispatchTarget, redelivery?: string): Promise<string> {
  const workflowId = webhookDeliveryWorkflowId(target.eventId, target.endpointId, redelivery);
  try {
    await temporal.workflow.start('webhookDeliveryWorkflow', {
      workflowId, taskQueue, args: [{ eventId: target.eventId, endpointId: target.endpointId, merchantId: target.merchantId, eventType: target.eventType }],
      workflowIdConflictPolicy: 'USE_EXISTING', workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [{ key: MerchantIdKey, value: target.merchantId }],
      staticSummary: `${target.eventType} ${target.eventId} to endpoint ${target.endpointId}${redelivery ? ' (redelivery)' : ''}`,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  return workflowId;
}

/**
 * The outbox relay: events are recorded in the same transaction as the change they describe; this
 * claims the ones not yet dispatched and starts a delivery workflow for each subscribed endpoint.
 * A NOTIFY from the recording transaction wakes it at once; a sweep every few seconds catches
 * anything missed. Several API processes can run it: claims skip rows another one holds.
 */
export class WebhookDispatcher {
  private listener?: PgClient;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(private readonly deps: { orm: Orm; temporal: Client; taskQueue: string; databaseUrl: string; logger: Logger; sweepMs?: number }) {}

  async start(): Promise<void> {
    const listener = new PgClient({ connectionString: this.deps.databaseUrl });
    listener.on('notification', () => this.kick());
    listener.on('error', (error) => this.deps.logger.warn({ err: error }, 'webhook dispatcher lost its listener; sweeps continue'));
    await listener.connect();
    await listener.query(`listen ${EVENT_RECORDED_CHANNEL}`);
    this.listener = listener;
    this.timer = setInterval(() => this.kick(), this.deps.sweepMs ?? 3_000);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.listener?.end().catch(() => undefined);
  }

  /** Runs a dispatch pass now, or right after the one under way. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.dispatchAll()
      .catch((error) => this.deps.logger.error({ err: error }, 'webhook dispatch failed'))
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
        const sql = sqlFor(em);
        const events = await sql.query<{ id: string; merchant_id: string; type: string }>(
          `update events set dispatched_at = now()
            where id in (select id from events where dispatched_at is null order by created_at limit 50 for update skip locked)
            returning id, merchant_id, type`);
        for (const event of events) {
          const endpoints = await sql.query<{ id: string }>(
            `select id from webhook_endpoints where merchant_id = ? and status = 'enabled' and deleted_at is null
                and (enabled_events @> jsonb_build_array(?::text) or enabled_events @> '["*"]'::jsonb)`, [event.merchant_id, event.type]);
          // A failure to start rolls the claim back: the events are dispatched on a later pass.
          for (const endpoint of endpoints) {
            await startDelivery(this.deps.temporal, this.deps.taskQueue, { eventId: event.id, merchantId: event.merchant_id, eventType: event.type, endpointId: endpoint.id });
          }
        }
        return events.length;
      });
      if (dispatched < 50) return;
    }
  }
}
