import type { Sql } from '../../db/sql';
import { formatSettlementCsv, type SettlementRow } from '../../reconciliation/settlement-csv';
import { startOfUtcDay } from '../../shared/utc-days';
import { SandboxBankRepository } from './sandbox-bank-repository';

type StatementRow = Omit<SettlementRow, 'line'>;

/**
 * The sandbox bank's statement of one UTC day, from its own books, in the settlement file format
 * (so it reconciles, and uploads, like a gateway's report): one row per money movement, referenced
 * by the transfer id. A transfer that arrived paid (or paid and returned later) left the account:
 * amount negative; a return came back: amount positive, on the day it came back. A failed transfer
 * moved no money and has no row. Movements after `asOf` have not happened yet and are left out,
 * so a statement of the current day lists only what the bank has done so far.
 */
export async function sandboxBankStatement(sql: Sql, day: string, asOf: Date = new Date()): Promise<string> {
  const from = new Date(startOfUtcDay(day));
  const to = new Date(startOfUtcDay(day, 1));
  const within = (at: Date | null): at is Date => at !== null && at >= from && at < to && at <= asOf;
  const movements: { at: Date; row: StatementRow }[] = [];
  for (const transfer of await new SandboxBankRepository(sql).movementsBetween(from, to)) {
    const money = { reference: transfer.id, currency: transfer.currency, date: day };
    if (transfer.outcome !== 'failed' && within(transfer.arrivesAt))
      movements.push({ at: transfer.arrivesAt, row: { ...money, amountMinor: -transfer.amountMinor } });
    if (transfer.outcome === 'returned' && within(transfer.returnsAt))
      movements.push({ at: transfer.returnsAt, row: { ...money, amountMinor: transfer.amountMinor } });
  }
  movements.sort(
    (a, b) => a.at.getTime() - b.at.getTime() || a.row.reference.localeCompare(b.row.reference) || a.row.amountMinor - b.row.amountMinor,
  );
  return formatSettlementCsv(movements.map(({ row }) => row));
}
