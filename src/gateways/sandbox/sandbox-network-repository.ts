import type { Sql } from '../../db/sql';
import type { SandboxNetworkEventRow } from './sandbox-network-record';

const DELIVERY_LEASE_SECONDS = 30;
/** How long the network keeps trying an event that is not accepted. */
const RETRY_FOR_DAYS = 3;

/** Every read and write of the sandbox network's outbox, `sandbox_network_events`. */
export class SandboxNetworkRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Leases up to ten due events, earliest due first, to one delivery each and counts the attempt;
   * rows another process is leasing at the same moment are skipped, not waited for.
   */
  async leaseDue(): Promise<SandboxNetworkEventRow[]> {
    return this.sql.query<SandboxNetworkEventRow>(
      `update sandbox_network_events set deliver_after = now() + interval '${DELIVERY_LEASE_SECONDS} seconds', attempts = attempts + 1
        where id in (select id from sandbox_network_events
                      where delivered_at is null and deliver_after <= now() and created_at > now() - interval '${RETRY_FOR_DAYS} days'
                      order by deliver_after limit 10 for update skip locked)
        returning id, type, payload, attempts`,
    );
  }

  async markDelivered(id: string): Promise<void> {
    await this.sql.query(`update sandbox_network_events set delivered_at = now() where id = ?`, [id]);
  }

  /** Makes a leased event due again in `seconds` instead of when its lease ends. */
  async retryIn(id: string, seconds: number): Promise<void> {
    await this.sql.query(`update sandbox_network_events set deliver_after = now() + make_interval(secs => ?) where id = ?`, [seconds, id]);
  }

  /** Schedules a `dispute.created` event `delayMs` from now; an id already scheduled stays as it is. */
  async scheduleDisputeCreated(id: string, payload: Record<string, unknown>, delayMs: number): Promise<void> {
    await this.sql.query(
      `insert into sandbox_network_events (id, type, payload, deliver_after) values (?, 'dispute.created', ?, now() + (? * interval '1 millisecond'))
       on conflict (id) do nothing`,
      [id, JSON.stringify(payload), delayMs],
    );
  }
}
