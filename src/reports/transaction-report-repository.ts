import type { Sql } from '../db/sql';
import type { ReportRange } from './report-range';

/** One payment as the report reads it: amounts in minor units. */
export interface TransactionRow {
  id: string;
  /** created_at to the microsecond, UTC: exact, so it can be the keyset cursor. */
  createdAt: string;
  status: string;
  amountMinor: number;
  amountCapturedMinor: number;
  amountRefundedMinor: number;
  feeMinor: number;
  currency: string;
  captureMethod: string;
  description: string | null;
  gatewayReference: string | null;
  failureCode: string | null;
}

/** Payments of one status and currency, summed in minor units. */
export interface TransactionTotal {
  status: string;
  currency: string;
  count: number;
  amountMinor: number;
  amountCapturedMinor: number;
  amountRefundedMinor: number;
  feeMinor: number;
  netMinor: number;
}

export interface KeysetCursor {
  createdAt: string;
  id: string;
}

// payment-view.ts's displayStatus in SQL: `refunded` is derived from the amounts, never stored.
const DISPLAY_STATUS = `case when status = 'succeeded' and amount_captured_minor > 0 and amount_refunded_minor >= amount_captured_minor
  then 'refunded' else status end`;
const IN_RANGE = 'merchant_id = ? and created_at >= ?::timestamptz and created_at < ?::timestamptz';

/**
 * One batch after `after`, oldest first. The keyset (created_at, id) is served by
 * payments_merchant_created_idx (merchant_id, created_at desc, id desc), read backwards: every
 * batch is an index range scan, however deep into the report it is.
 */
export function batchQuery(
  merchantId: string,
  range: ReportRange,
  limit: number,
  after?: KeysetCursor,
): { text: string; params: unknown[] } {
  return {
    text: `select id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_exact,
        ${DISPLAY_STATUS} as status, amount_minor, amount_captured_minor, amount_refunded_minor, fee_minor, currency, capture_method,
        description, gateway_reference, failure_code
      from payments
      where ${IN_RANGE}${after ? ' and (created_at, id) > (?::timestamptz, ?)' : ''}
      order by created_at, id
      limit ?`,
    params: [merchantId, range.startsAt, range.endsBefore, ...(after ? [after.createdAt, after.id] : []), limit],
  };
}

/** The report's reads: one aggregate for the totals, keyset batches for the rows. */
export class TransactionReportRepository {
  constructor(private readonly sql: Sql) {}

  /** Count and sums per displayed status and currency, in one aggregate query. */
  async totals(merchantId: string, range: ReportRange): Promise<TransactionTotal[]> {
    const rows = await this.sql.query<Record<string, string | number>>(
      `select ${DISPLAY_STATUS} as status, currency, count(*) as count, sum(amount_minor) as amount, sum(amount_captured_minor) as captured,
          sum(amount_refunded_minor) as refunded, sum(fee_minor) as fee, sum(amount_captured_minor - amount_refunded_minor - fee_minor) as net
        from payments
        where ${IN_RANGE}
        group by 1, 2
        order by 2, 1`,
      [merchantId, range.startsAt, range.endsBefore],
    );
    // bigint and numeric arrive as strings; the sums stay far below 2^53 minor units.
    return rows.map((row) => ({
      status: String(row.status),
      currency: String(row.currency),
      count: Number(row.count),
      amountMinor: Number(row.amount),
      amountCapturedMinor: Number(row.captured),
      amountRefundedMinor: Number(row.refunded),
      feeMinor: Number(row.fee),
      netMinor: Number(row.net),
    }));
  }

  /** Up to `limit` rows after the cursor, oldest first. */
  async batch(merchantId: string, range: ReportRange, limit: number, after?: KeysetCursor): Promise<TransactionRow[]> {
    const query = batchQuery(merchantId, range, limit, after);
    const rows = await this.sql.query<Record<string, string | number | null>>(query.text, query.params);
    return rows.map((row) => ({
      id: String(row.id),
      createdAt: String(row.created_exact),
      status: String(row.status),
      amountMinor: Number(row.amount_minor),
      amountCapturedMinor: Number(row.amount_captured_minor),
      amountRefundedMinor: Number(row.amount_refunded_minor),
      feeMinor: Number(row.fee_minor),
      currency: String(row.currency),
      captureMethod: String(row.capture_method),
      description: row.description as string | null,
      gatewayReference: row.gateway_reference as string | null,
      failureCode: row.failure_code as string | null,
    }));
  }
}
