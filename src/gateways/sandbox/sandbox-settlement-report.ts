import type { Sql } from '../../db/sql';
import { startOfUtcDay } from '../../shared/utc-days';
import { formatSettlementCsv } from '../../reconciliation/settlement-csv';
import { SandboxGatewayOperationRepository } from './sandbox-gateway-operation-repository';

/**
 * The sandbox gateway's settlement report for one UTC day, from its own books and in the
 * settlement file format: charges captured in a sale (reference: the authorization), captures of
 * earlier authorizations (reference: the authorization they capture) and refunds (reference: the
 * refund, amount negative). Only operations that moved money; one row per reference.
 */
export async function sandboxSettlementReport(sql: Sql, day: string): Promise<string> {
  const rows = await new SandboxGatewayOperationRepository(sql).settledBetween(startOfUtcDay(day), startOfUtcDay(day, 1));
  return formatSettlementCsv(
    rows.map((row) => ({ reference: row.reference, amountMinor: Number(row.amount_minor), currency: row.currency, date: day })),
  );
}
