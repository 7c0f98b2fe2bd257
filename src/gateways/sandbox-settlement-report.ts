import type { Sql } from '../db/sql';
import { startOfUtcDay } from '../shared/utc-days';
import { formatSettlementCsv } from '../reconciliation/settlement-csv';

/**
 * The sandbox gateway's settlement report for one UTC day, from its own books and in the
 * settlement file format: charges captured in a sale (reference: the authorization), captures of
 * earlier authorizations (reference: the authorization they capture) and refunds (reference: the
 * refund, amount negative). Only operations that moved money; one row per reference.
 */
export async function sandboxSettlementReport(sql: Sql, day: string): Promise<string> {
  const rows = await sql.query<{ reference: string; currency: string; amount_minor: string }>(
    `select reference, currency, sum(amount_minor) as amount_minor
       from (select case when operation = 'capture' then authorization_id else id end as reference, currency, created_at,
                    case when operation = 'refund' then -amount_minor else amount_minor end as amount_minor
               from sandbox_gateway_operations
              where created_at >= ? and created_at < ?
                and ((operation in ('authorize', 'capture') and outcome = 'captured') or (operation = 'refund' and outcome = 'refunded'))) settled
      group by reference, currency
     having sum(amount_minor) <> 0
      order by min(created_at), reference`,
    [startOfUtcDay(day), startOfUtcDay(day, 1)],
  );
  return formatSettlementCsv(rows.map((row) => ({ reference: row.reference, amountMinor: Number(row.amount_minor), currency: row.currency, date: day })));
}
