import { CURRENCY_EXPONENTS, MAX_AMOUNT_MINOR, formatMinor, isSupportedCurrency } from '../shared/money';
import { isIsoDay } from '../shared/utc-days';

/** The settlement file's columns, in order: its header row must be exactly these. */
export const SETTLEMENT_COLUMNS = ['gateway_reference', 'amount', 'currency', 'date'] as const;
export const SETTLEMENT_HEADER = SETTLEMENT_COLUMNS.join(',');

/** A settlement file holds at most this many rows (a day of a busy merchant fits many times over). */
export const MAX_SETTLEMENT_ROWS = 100_000;

/** One row of a settlement file: what the gateway says it settled, in minor units. */
export interface SettlementRow {
  /** 1-based line of the file (the header is line 1). */
  line: number;
  reference: string;
  /** Signed: refunds are negative. */
  amountMinor: number;
  currency: string;
  /** YYYY-MM-DD. */
  date: string;
}

/** A file that is not a valid settlement file, with the line and column at fault. */
export class SettlementFileError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly problem: string,
  ) {
    const name = SETTLEMENT_COLUMNS[column - 1];
    super(`Line ${line}, column ${column}${name ? ` (${name})` : ''}: ${problem}`);
    this.name = 'SettlementFileError';
  }

  /** The header name of the column at fault, when it is one of the four. */
  get columnName(): string | null {
    return SETTLEMENT_COLUMNS[this.column - 1] ?? null;
  }
}

const REFERENCE = /^[\x21-\x7e]{1,255}$/;
const AMOUNT = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?$/;

/** Splits one line into RFC 4180 fields; quoted fields may hold commas and "" but not line breaks. */
function splitFields(text: string, line: number): string[] {
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    if (text[at] === '"') {
      let value = '';
      at += 1;
      for (;;) {
        if (at >= text.length)
          throw new SettlementFileError(line, fields.length + 1, 'the quoted field is not closed (quoted fields cannot span lines)');
        if (text[at] === '"') {
          if (text[at + 1] === '"') {
            value += '"';
            at += 2;
            continue;
          }
          at += 1;
          break;
        }
        value += text[at];
        at += 1;
      }
      fields.push(value);
      if (at === text.length) return fields;
      if (text[at] !== ',') throw new SettlementFileError(line, fields.length, 'expected a comma after the closing quote');
      at += 1;
    } else {
      const comma = text.indexOf(',', at);
      const value = text.slice(at, comma === -1 ? text.length : comma);
      if (value.includes('"')) throw new SettlementFileError(line, fields.length + 1, 'a quote may only enclose a whole field');
      fields.push(value);
      if (comma === -1) return fields;
      at = comma + 1;
    }
  }
}

/** Major units with exactly the currency's precision or less, signed, to minor units; undefined when the digits do not fit. */
function amountToMinor(sign: string, whole: string, fraction: string, exponent: number): number | undefined {
  if (fraction.length > exponent || whole.length > 15) return undefined;
  const minor = Number(whole + fraction.padEnd(exponent, '0'));
  if (minor > MAX_AMOUNT_MINOR) return undefined;
  return sign === '-' ? -minor : minor;
}

function parseRow(fields: string[], line: number): SettlementRow {
  if (fields.length !== SETTLEMENT_COLUMNS.length) {
    const column = Math.min(fields.length + 1, SETTLEMENT_COLUMNS.length + 1);
    throw new SettlementFileError(
      line,
      column,
      `expected ${SETTLEMENT_COLUMNS.length} fields (${SETTLEMENT_HEADER}), found ${fields.length}`,
    );
  }
  const [reference, amount, currency, date] = fields;
  if (!REFERENCE.test(reference)) throw new SettlementFileError(line, 1, 'must be 1-255 printable ASCII characters without spaces');
  const match = AMOUNT.exec(amount);
  if (!match)
    throw new SettlementFileError(line, 2, `must be a decimal in major units such as 100.00 or -25.50, not "${amount.slice(0, 40)}"`);
  if (!isSupportedCurrency(currency))
    throw new SettlementFileError(line, 3, `unknown currency "${currency.slice(0, 10)}": use an ISO 4217 code such as USD`);
  const exponent = CURRENCY_EXPONENTS[currency];
  const [, sign, whole, fraction = ''] = match;
  if (match[3] !== undefined && exponent === 0) throw new SettlementFileError(line, 2, `must be a whole number for ${currency}`);
  if (fraction.length > exponent)
    throw new SettlementFileError(line, 2, `has more than ${exponent} decimal place${exponent === 1 ? '' : 's'} for ${currency}`);
  const amountMinor = amountToMinor(sign, whole, fraction, exponent);
  if (amountMinor === undefined) throw new SettlementFileError(line, 2, 'is too large');
  if (amountMinor === 0) throw new SettlementFileError(line, 2, 'must not be zero');
  if (!isIsoDay(date)) throw new SettlementFileError(line, 4, `must be a date written YYYY-MM-DD, not "${date.slice(0, 20)}"`);
  return { line, reference, amountMinor, currency, date };
}

export interface SettlementCsvOptions {
  /**
   * A bank statement lists a transfer and its return under the same reference: a reference may
   * then appear twice, once paid out (negative) and once returned (positive).
   */
  returns?: boolean;
}

/**
 * Parses a settlement file (CSV, header `gateway_reference,amount,currency,date`) strictly: the
 * first problem throws a SettlementFileError naming its line and column. Accepts a UTF-8 byte
 * order mark, CRLF line ends and trailing blank lines; a reference may appear only once (with
 * `returns`, once per sign).
 */
export function parseSettlementCsv(text: string, { returns = false }: SettlementCsvOptions = {}): SettlementRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new SettlementFileError(1, 1, `the file is empty: it must start with the header ${SETTLEMENT_HEADER}`);
  const header = splitFields(lines[0], 1);
  const wrong = SETTLEMENT_COLUMNS.findIndex((name, index) => header[index] !== name);
  if (wrong !== -1 || header.length !== SETTLEMENT_COLUMNS.length) {
    const column = wrong === -1 ? SETTLEMENT_COLUMNS.length + 1 : wrong + 1;
    throw new SettlementFileError(1, column, `the header must be exactly ${SETTLEMENT_HEADER}`);
  }
  if (lines.length - 1 > MAX_SETTLEMENT_ROWS)
    throw new SettlementFileError(MAX_SETTLEMENT_ROWS + 2, 1, `a file may hold at most ${MAX_SETTLEMENT_ROWS} rows`);

  const rows: SettlementRow[] = [];
  const firstLineOf = new Map<string, number>();
  for (let index = 1; index < lines.length; index++) {
    const line = index + 1;
    if (lines[index] === '') throw new SettlementFileError(line, 1, 'the line is empty');
    const row = parseRow(splitFields(lines[index], line), line);
    const key = returns ? `${row.amountMinor < 0 ? '-' : '+'}${row.reference}` : row.reference;
    const earlier = firstLineOf.get(key);
    if (earlier !== undefined) {
      const what = returns ? `duplicate ${row.amountMinor < 0 ? 'payment' : 'return'} of reference` : 'duplicate reference';
      throw new SettlementFileError(line, 1, `${what} ${row.reference} (first on line ${earlier})`);
    }
    firstLineOf.set(key, line);
    rows.push(row);
  }
  return rows;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Writes settlement rows as a settlement file, the format parseSettlementCsv reads. */
export function formatSettlementCsv(rows: Omit<SettlementRow, 'line'>[]): string {
  const body = rows.map((row) => [csvField(row.reference), formatMinor(row.amountMinor, row.currency), row.currency, row.date].join(','));
  return [SETTLEMENT_HEADER, ...body].join('\n') + '\n';
}
