import type { Sql } from '../db/sql';
import type { RoutingConfigurationRecord } from './routing-record';
import type { RoutingSettings } from './routing-rules';

type Row = Record<string, any>;

function toRecord(row: Row): RoutingConfigurationRecord {
  return {
    merchantId: row.merchant_id,
    version: Number(row.version),
    settings: row.body as RoutingSettings,
    requestId: row.request_id,
    createdAt: new Date(row.created_at),
  };
}

/** The `routing_configurations` table: versions are only ever added. */
export class RoutingRepository {
  constructor(private readonly sql: Sql) {}

  /** The merchant's newest version, or null before its first PUT. */
  async latest(merchantId: string): Promise<RoutingConfigurationRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from routing_configurations where merchant_id = ? order by version desc limit 1`, [
      merchantId,
    ]);
    return row ? toRecord(row) : null;
  }

  /** The version a request (by its claimed id) stored, if it got that far. */
  async findByRequest(merchantId: string, requestId: string): Promise<RoutingConfigurationRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from routing_configurations where merchant_id = ? and request_id = ?`, [
      merchantId,
      requestId,
    ]);
    return row ? toRecord(row) : null;
  }

  /**
   * Stores the settings as the merchant's next version. Null when a concurrent PUT took that version
   * number (or this request id was stored meanwhile): the caller reads again and retries.
   */
  async insertNext(
    merchantId: string,
    settings: RoutingSettings,
    requestId: string,
    createdAt: Date,
  ): Promise<RoutingConfigurationRecord | null> {
    const [row] = await this.sql.query<Row>(
      `insert into routing_configurations (merchant_id, version, body, request_id, created_at)
       select ?, coalesce(max(version), 0) + 1, ?::jsonb, ?, ? from routing_configurations where merchant_id = ?
       on conflict do nothing returning *`,
      [merchantId, JSON.stringify(settings), requestId, createdAt, merchantId],
    );
    return row ? toRecord(row) : null;
  }
}
