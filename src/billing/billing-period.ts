/**
 * Billing periods are calendar months in UTC, written 'YYYY-MM'. Pure functions with no I/O: the
 * fee invoice workflow imports this file to work out its default period deterministically.
 */

export const PERIOD_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

export interface PeriodWindow {
  period: string;
  /** The first instant of the month, inclusive. */
  start: Date;
  /** The first instant of the next month, exclusive. */
  end: Date;
}

function format(year: number, monthIndex: number): string {
  return `${String(year).padStart(4, '0')}-${String(monthIndex + 1).padStart(2, '0')}`;
}

export function isPeriod(text: string): boolean {
  return PERIOD_PATTERN.test(text);
}

/** The month's window [start, end) in UTC, or null when `period` is not 'YYYY-MM'. */
export function periodWindow(period: string): PeriodWindow | null {
  const match = PERIOD_PATTERN.exec(period);
  if (!match) return null;
  const year = Number(match[1]);
  const monthIndex = Number(match[2]) - 1;
  return { period, start: new Date(Date.UTC(year, monthIndex, 1)), end: new Date(Date.UTC(year, monthIndex + 1, 1)) };
}

/** The month an instant falls in (UTC). */
export function periodOf(instant: Date | string): string {
  const date = new Date(instant);
  return format(date.getUTCFullYear(), date.getUTCMonth());
}

/** The month before the one an instant falls in: what a run on the 1st invoices. */
export function previousPeriod(instant: Date | string): string {
  const date = new Date(instant);
  const previous = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - 1, 1));
  return format(previous.getUTCFullYear(), previous.getUTCMonth());
}
