/** A CSV cell: text, a number already formatted as text, or empty. */
export type CsvCell = { text: string | null } | { number: string };

// A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** Text as a spreadsheet shows it, never as a formula: a leading = + - @ tab or CR gets a ' before it. */
export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

function field(cell: CsvCell): string {
  // Numbers are ours and may be negative (a refunded payment's net): they are never neutralized.
  const value = 'number' in cell ? cell.number : cell.text === null ? '' : neutralizeFormula(cell.text);
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One RFC 4180 record, CRLF-terminated. */
export function csvRecord(cells: CsvCell[]): string {
  return `${cells.map(field).join(',')}\r\n`;
}

/** A header record. */
export function csvHeader(names: readonly string[]): string {
  return csvRecord(names.map((name) => ({ text: name })));
}
