import type { Sql } from '../db/sql';
import type { GatewayAccountOutageRecord } from './routing-record';

type Row = Record<string, any>;

/** When a gateway account cools down: `threshold` unavailable answers within `windowMs`, then `coolDownMs` after the last. */
export interface CoolDownPolicy {
  threshold: number;
  windowMs: number;
  coolDownMs: number;
}

export interface CoolingDownAccount {
  gatewayAccount: string;
  gateway: string;
  until: Date;
}

// Answers older than this can no longer start or extend a cool-down of any policy we run; they are pruned as new ones come.
const KEEP_MS = 15 * 60 * 1000;

/** The `gateway_account_outages` table: written by the authorize activity (worker), read by the router (API). */
export class GatewayOutageRepository {
  constructor(private readonly sql: Sql) {}

  /** Records one unavailable answer, and drops this account's answers too old to matter, so the table stays small. */
  async record(outage: GatewayAccountOutageRecord): Promise<void> {
    await this.sql.query(`insert into gateway_account_outages (gateway_account_id, gateway, occurred_at) values (?, ?, ?)`, [
      outage.gatewayAccountId,
      outage.gateway,
      outage.occurredAt,
    ]);
    await this.sql.query(`delete from gateway_account_outages where gateway_account_id = ? and occurred_at < ?`, [
      outage.gatewayAccountId,
      new Date(outage.occurredAt.getTime() - KEEP_MS),
    ]);
  }

  /**
   * Accounts cooling down at `now`: an answer that was the `threshold`-th within `windowMs` starts (or
   * extends) a cool-down of `coolDownMs`. Only the last window + cool-down of answers is read (an index range).
   */
  async coolingDown(now: Date, policy: CoolDownPolicy, accountIds?: string[]): Promise<CoolingDownAccount[]> {
    if (accountIds && accountIds.length === 0) return [];
    const since = new Date(now.getTime() - policy.windowMs - policy.coolDownMs);
    const rows = await this.sql.query<Row>(
      `select gateway_account_id, gateway, max(occurred_at) as last_at from (
         select gateway_account_id, gateway, occurred_at,
           count(*) over (partition by gateway_account_id order by occurred_at
             range between ?::interval preceding and current row) as answers
         from gateway_account_outages
         where occurred_at > ? and occurred_at <= ?${accountIds ? ` and gateway_account_id = any(?::text[])` : ''}
       ) recent where answers >= ? group by gateway_account_id, gateway`,
      [`${policy.windowMs} milliseconds`, since, now, ...(accountIds ? [`{${accountIds.join(',')}}`] : []), policy.threshold],
    );
    return rows
      .map((row) => ({
        gatewayAccount: row.gateway_account_id as string,
        gateway: row.gateway as string,
        until: new Date(new Date(row.last_at).getTime() + policy.coolDownMs),
      }))
      .filter((account) => account.until > now)
      .sort((a, b) => a.gatewayAccount.localeCompare(b.gatewayAccount));
  }
}
