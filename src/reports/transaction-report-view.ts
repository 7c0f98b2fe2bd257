import { formatMinor, minorToMajorNumber } from '../shared/money';
import { apiTimestamp } from '../shared/timestamps';
import { csvHeader, csvRecord, type CsvCell } from './csv';
import type { TransactionRow, TransactionTotal } from './transaction-report-repository';

/** The report's columns, in CSV order; the JSON rows have the same keys. */
export const TRANSACTION_COLUMNS = [
  'id',
  'created',
  'status',
  'amount',
  'amount_captured',
  'amount_refunded',
  'fee',
  'net',
  'currency',
  'capture_method',
  'description',
  'gateway_reference',
  'failure_code',
] as const;

export type TransactionRowJson = Record<(typeof TRANSACTION_COLUMNS)[number], string | number | null>;

const netMinor = (row: TransactionRow) => row.amountCapturedMinor - row.amountRefundedMinor - row.feeMinor;

/** A row as the JSON report shows it: major units as numbers, like the rest of the API. */
export function transactionRowJson(row: TransactionRow): TransactionRowJson {
  const major = (minor: number) => minorToMajorNumber(minor, row.currency);
  return {
    id: row.id,
    created: apiTimestamp(row.createdAt),
    status: row.status,
    amount: major(row.amountMinor),
    amount_captured: major(row.amountCapturedMinor),
    amount_refunded: major(row.amountRefundedMinor),
    fee: major(row.feeMinor),
    net: major(netMinor(row)),
    currency: row.currency,
    capture_method: row.captureMethod,
    description: row.description,
    gateway_reference: row.gatewayReference,
    failure_code: row.failureCode,
  };
}

/** Status and currency totals, major units. */
export function transactionTotalJson(total: TransactionTotal) {
  const major = (minor: number) => minorToMajorNumber(minor, total.currency);
  return {
    status: total.status,
    currency: total.currency,
    count: total.count,
    amount: major(total.amountMinor),
    amount_captured: major(total.amountCapturedMinor),
    amount_refunded: major(total.amountRefundedMinor),
    fee: major(total.feeMinor),
    net: major(total.netMinor),
  };
}

export const transactionCsvHeader = (): string => csvHeader(TRANSACTION_COLUMNS);

/** A CSV record: amounts as fixed decimals with the currency's exponent (100.00, JPY 500). */
export function transactionCsvRecord(row: TransactionRow): string {
  const amount = (minor: number): CsvCell => ({ number: formatMinor(minor, row.currency) });
  const cells: Record<(typeof TRANSACTION_COLUMNS)[number], CsvCell> = {
    id: { text: row.id },
    created: { text: apiTimestamp(row.createdAt) },
    status: { text: row.status },
    amount: amount(row.amountMinor),
    amount_captured: amount(row.amountCapturedMinor),
    amount_refunded: amount(row.amountRefundedMinor),
    fee: amount(row.feeMinor),
    net: amount(netMinor(row)),
    currency: { text: row.currency },
    capture_method: { text: row.captureMethod },
    description: { text: row.description },
    gateway_reference: { text: row.gatewayReference },
    failure_code: { text: row.failureCode },
  };
  return csvRecord(TRANSACTION_COLUMNS.map((column) => cells[column]));
}
