import type { Client } from '@temporalio/client';
import type { Orm } from '../db/orm';
import { EventDispatchLoop } from '../events/event-dispatch-loop';
import { sqlFor } from '../db/sql';
import type { Logger } from '../logger';
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
  private readonly loop: EventDispatchLoop;

  constructor(
    private readonly deps: { orm: Orm; temporal: Client; taskQueue: string; databaseUrl: string; logger: Logger; sweepMs?: number },
  ) {
    this.loop = new EventDispatchLoop({
      databaseUrl: deps.databaseUrl,
      logger: deps.logger,
      name: 'receipt dispatcher',
      sweepMs: deps.sweepMs ?? 5_000,
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
