import type { Client } from '@temporalio/client';
import type { Orm } from '../db/orm';
import { ListenClient } from '../db/listen-client';
import { EVENT_RECORDED_CHANNEL } from '../events/event-repository';
import { sqlFor } from '../db/sql';
import type { Logger } from '../logger';
import { dependencyOutage } from '../api/transient-failures';
import { MerchantIdKey } from '../temporal/search-attributes';
import { startOrJoin } from '../temporal/entity-workflows';
import { receiptEmailWorkflow, receiptEmailWorkflowId } from '../../workflows/receipt-email-workflow';
import { ReceiptRepository } from './receipt-repository';

const CLAIM_BATCH = 50;

/**
 * The receipt mailer's outbox relay: `payment.succeeded` and `refund.succeeded` events land in the
 * receipt outbox in the transaction that records them; this takes them off and starts one
 * `receipt-email-<event id>` workflow for each whose payment has an address. The workflow id makes a
 * repeat (an event put back, a second API process) join or meet the finished one, never send again.
 */
export class ReceiptDispatcher {
  private listener?: ListenClient;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly deps: { orm: Orm; temporal: Client; taskQueue: string; databaseUrl: string; logger: Logger; sweepMs?: number },
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.listener = new ListenClient({
      url: this.deps.databaseUrl,
      channel: EVENT_RECORDED_CHANNEL,
      logger: this.deps.logger,
      name: 'receipt dispatcher',
      onNotification: () => this.kick(),
      onReconnected: () => this.kick(),
    });
    await this.listener.start();
    this.timer = setInterval(() => this.kick(), this.deps.sweepMs ?? 5_000);
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
      .catch((error) => this.deps.logger[dependencyOutage(error) ? 'warn' : 'error']({ err: error }, 'receipt dispatch failed'))
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
      const claimed = await this.deps.orm.em.fork().transactional(async (em) => {
        const events = await new ReceiptRepository(sqlFor(em)).claimOutbox();
        // A failure to start rolls the claim back: the events are taken again on a later pass.
        for (const event of events.filter((each) => each.addressed)) {
          await startOrJoin(this.deps.temporal, receiptEmailWorkflow, {
            workflowId: receiptEmailWorkflowId(event.eventId),
            taskQueue: this.deps.taskQueue,
            input: {
              eventId: event.eventId,
              merchantId: event.merchantId,
              paymentId: event.paymentId,
              ...(event.refundId ? { refundId: event.refundId } : {}),
            },
            searchAttributes: [{ key: MerchantIdKey, value: event.merchantId }],
            summary: `Receipt email for ${event.type} ${event.eventId}`,
          });
        }
        return events.length;
      });
      if (claimed < CLAIM_BATCH) return;
    }
  }
}
