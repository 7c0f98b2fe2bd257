import type { Orm } from '../db/orm';
import type { Logger } from '../logger';
import { dependencyOutage } from '../api/transient-failures';
import { newId } from '../shared/ids';
import { signGatewayEvent } from './gateway-event-signature';

export interface GatewayEvent {
  id: string;
  type: 'dispute.created' | 'dispute.closed';
  data: Record<string, unknown>;
}

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

  constructor(private readonly options: { orm: Orm; secret: string; logger: Logger; pollMs?: number }) {}

  disputeCreated(charge: string, amountMinor: number, currency: string, reason: string): GatewayEvent {
    return { id: newId('nev'), type: 'dispute.created', data: { charge, amount_minor: amountMinor, currency, reason, dispute: newId('ndp') } };
  }

  disputeClosed(dispute: string, outcome: 'won' | 'lost'): GatewayEvent {
    return { id: newId('nev'), type: 'dispute.closed', data: { dispute, outcome } };
  }

  /** The raw body and signature header, as the gateway would send them. */
  sign(event: GatewayEvent): { rawBody: string; signature: string } {
    const rawBody = JSON.stringify(event);
    return { rawBody, signature: signGatewayEvent(this.options.secret, rawBody) };
  }

  /** Starts delivering scheduled events to `receive`; a failed delivery is retried a few seconds later, ten times at most. */
  start(receive: GatewayEventReceiver): void {
    const tick = () => {
      this.delivering = this.deliverDue(receive).catch((error) => this.options.logger[dependencyOutage(error) ? 'warn' : 'error']({ err: error }, 'sandbox network delivery failed'));
    };
    this.timer = setInterval(tick, this.options.pollMs ?? 500);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.delivering;
  }

  private async deliverDue(receive: GatewayEventReceiver): Promise<void> {
    const connection = this.options.orm.em.getConnection();
    const due = await connection.execute<{ id: string; type: GatewayEvent['type']; payload: Record<string, unknown> }[]>(
      `update sandbox_network_events set delivered_at = now(), attempts = attempts + 1
        where id in (select id from sandbox_network_events where delivered_at is null and deliver_after <= now() and attempts < 10
                      order by deliver_after limit 10 for update skip locked)
        returning id, type, payload`);
    for (const row of due) {
      const { rawBody, signature } = this.sign({ id: row.id, type: row.type, data: row.payload });
      try {
        await receive('sandbox', rawBody, signature);
      } catch (error) {
        // The payment may not be recorded yet when the network is quick: try again shortly.
        await connection.execute(`update sandbox_network_events set delivered_at = null, deliver_after = now() + interval '3 seconds' where id = ?`, [row.id]);
        this.options.logger.warn({ eventId: row.id, err: error }, 'sandbox network event not accepted; retrying');
      }
    }
  }
}
