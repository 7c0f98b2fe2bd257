/** Calendar days in UTC, written YYYY-MM-DD, as settlement files and reports date money. Pure: workflows may import it. */

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** True for a real calendar day written YYYY-MM-DD (2026-02-30 is not one). */
export function isIsoDay(value: string): boolean {
  if (!DAY.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/** The instant a UTC day starts (ISO 8601), optionally some days later: `[startOfUtcDay(d), startOfUtcDay(d, 1))` is the whole day. */
export function startOfUtcDay(day: string, plusDays = 0): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + plusDays);
  return date.toISOString();
}

/** The UTC day before the one an instant falls on. */
export function utcDayBefore(instant: Date): string {
  return new Date(instant.getTime() - 86_400_000).toISOString().slice(0, 10);
}
