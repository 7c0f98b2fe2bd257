import type { Orm } from '../../db/orm';
import { sqlFor } from '../../db/sql';
import type { Logger } from '../../logger';
import { dependencyOutage } from '../../api/transient-failures';
import { newId } from '../../shared/ids';
import { signGatewayEvent } from '../gateway-event-signature';
import { SandboxNetworkRepository } from './sandbox-network-repository';

export interface GatewayEvent {
  id: string;
  type: 'dispute.created' | 'dispute.closed';
  data: Record<string, unknown>;
}

const FIRST_RETRY_SECONDS = 3;
const MAX_RETRY_SECONDS = 60;

/** Receives a gateway's signed event exactly as POST /v1/gateway_events/:gateway does. */
export type GatewayEventReceiver = (gateway: string, rawBody: string, signature: string) => Promise<unknown>;

/**
 * The sandbox's card network: it builds and signs the events a real network sends through the
 * gateway (disputes opened and decided), and delivers the ones it scheduled itself, such as the
 * dispute that follows every tok_createDispute capture.
 */
export class SandboxNetwork {
  private timer?: NodeJS.Timeout;
  private delivering?: Promise<void>;

  constructor(
    private readonly options: {
      orm: Orm;
      secret: string;
      logger: Logger;
      pollMs?: number;
      /** Seconds before the first retry of an event not accepted, doubling up to `maxSeconds` (3 and 60; tests shorten them). */
      retry?: { firstSeconds: number; maxSeconds: number };
    },
  ) {}

  disputeCreated(charge: string, amountMinor: number, currency: string, reason: string): GatewayEvent {
    return {
      id: newId('nev'),
      type: 'dispute.created',
      data: { charge, amount_minor: amountMinor, currency, reason, dispute: newId('ndp') },
    };
  }

  disputeClosed(dispute: string, outcome: 'won' | 'lost'): GatewayEvent {
    return { id: newId('nev'), type: 'dispute.closed', data: { dispute, outcome } };
  }

  /** The raw body and signature header, as the gateway would send them. */
  sign(event: GatewayEvent): { rawBody: string; signature: string } {
    const rawBody = JSON.stringify(event);
    return { rawBody, signature: signGatewayEvent(this.options.secret, rawBody) };
  }

  /**
   * Starts delivering scheduled events to `receive`, as a real network does: until accepted, again and
   * again (3 s doubling to a minute apart) for up to three days. A network event can arrive before the
   * charge it is about is recorded here (a worker killed after charging records it a minute later).
   */
  start(receive: GatewayEventReceiver): void {
    const tick = () => {
      // One pass at a time: a slow receiver must not pile passes up.
      if (this.delivering) return;
      this.delivering = this.deliverDue(receive)
        .catch((error) =>
          this.options.logger[dependencyOutage(error) ? 'warn' : 'error']({ err: error }, 'sandbox network delivery failed'),
        )
        .finally(() => {
          this.delivering = undefined;
        });
    };
    this.timer = setInterval(tick, this.options.pollMs ?? 500);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.delivering;
  }

  private async deliverDue(receive: GatewayEventReceiver): Promise<void> {
    const events = new SandboxNetworkRepository(sqlFor(this.options.orm.em.fork()));
    // Leased, not marked delivered: if this process dies mid-delivery, the event is due again when the lease ends.
    const due = await events.leaseDue();
    for (const row of due) {
      const { rawBody, signature } = this.sign({ id: row.id, type: row.type, data: row.payload });
      try {
        await receive('sandbox', rawBody, signature);
        await events.markDelivered(row.id);
      } catch (error) {
        const { firstSeconds, maxSeconds } = this.options.retry ?? { firstSeconds: FIRST_RETRY_SECONDS, maxSeconds: MAX_RETRY_SECONDS };
        const retryInSeconds = Math.min(maxSeconds, firstSeconds * 2 ** (row.attempts - 1));
        await events.retryIn(row.id, retryInSeconds);
        this.options.logger.warn(
          { eventId: row.id, attempts: row.attempts, retryInSeconds, err: error },
          'sandbox network event not accepted; retrying',
        );
      }
    }
  }
}
