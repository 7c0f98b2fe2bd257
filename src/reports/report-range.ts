import { ApiError, apiErrors } from '../shared/api-error';

/** The longest range one report may cover, in days. */
export const MAX_REPORT_DAYS = 90;

const MICROS_PER_DAY = 86_400_000_000n;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})$/;
const EXPECTED = 'expected a date (YYYY-MM-DD, a UTC day) or an ISO 8601 timestamp with a time zone, such as 2026-11-01T00:00:00Z';

/**
 * A report's period, half-open in microseconds (PostgreSQL's precision): `startsAt` inclusive,
 * `endsBefore` exclusive, both ISO 8601 UTC. `from` and `to` are echoed as the request gave them.
 */
export interface ReportRange {
  from: string;
  to: string;
  startsAt: string;
  endsBefore: string;
}

interface Bound {
  start: bigint;
  /** Exclusive end of the unit the value names: its day, minute, second or finer fraction. */
  end: bigint;
}

/**
 * Parses and checks `from` and `to`: both required, `from` not after `to`, neither after today
 * (UTC), at most 90 days. Each failure is a 400 naming the field.
 */
export function resolveReportRange(query: { from?: string; to?: string }, now: Date): ReportRange {
  if (query.from === undefined || query.to === undefined) {
    throw apiErrors.missingParameter(query.from === undefined ? 'from' : 'to', 'Both from and to are required');
  }
  const from = parseBound(query.from, 'from');
  const to = parseBound(query.to, 'to');
  const tomorrow = BigInt(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)) * 1000n;
  if (from.start >= tomorrow) throw ApiError.badRequest("'from' cannot be after today (UTC)", 'date_in_future', 'from');
  if (to.start >= tomorrow) throw ApiError.badRequest("'to' cannot be after today (UTC)", 'date_in_future', 'to');
  if (from.start >= to.end) throw ApiError.badRequest("'from' must be earlier than 'to'", 'date_range_invalid', 'from');
  if (to.end - from.start > BigInt(MAX_REPORT_DAYS) * MICROS_PER_DAY) {
    throw ApiError.badRequest(`Date range exceeds limit: at most ${MAX_REPORT_DAYS} days`, 'date_range_too_long', 'to');
  }
  return { from: query.from, to: query.to, startsAt: isoFromMicros(from.start), endsBefore: isoFromMicros(to.end) };
}

/**
 * A date covers its UTC day; a timestamp covers the unit it is written to, so `to=...T23:59:59Z`
 * includes a payment created at 23:59:59.5, which the API itself shows as `23:59:59Z`.
 */
function parseBound(text: string, param: 'from' | 'to'): Bound {
  const date = DATE.exec(text);
  if (date) {
    const start = epochMicros(Number(date[1]), Number(date[2]), Number(date[3]), 0, 0, 0, param);
    return { start, end: start + MICROS_PER_DAY };
  }
  const stamp = TIMESTAMP.exec(text);
  if (!stamp) throw invalid(param);
  const [, year, month, day, hour, minute, second, fraction, zone] = stamp;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second ?? 0) > 59) throw invalid(param);
  const local =
    epochMicros(Number(year), Number(month), Number(day), Number(hour), Number(minute), Number(second ?? 0), param) +
    BigInt((fraction ?? '').padEnd(6, '0'));
  const start = local - zoneOffsetMicros(zone, param);
  const unit = second === undefined ? 60_000_000n : 10n ** BigInt(6 - (fraction ?? '').length);
  return { start, end: start + unit };
}

function epochMicros(year: number, month: number, day: number, hour: number, minute: number, second: number, param: string): bigint {
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) throw invalid(param);
  return BigInt(date.getTime()) * 1000n;
}

function zoneOffsetMicros(zone: string, param: string): bigint {
  if (zone === 'Z') return 0n;
  const [, sign, hours, minutes] = /^([+-])(\d{2}):?(\d{2})$/.exec(zone) as RegExpExecArray;
  if (Number(hours) > 23 || Number(minutes) > 59) throw invalid(param);
  const micros = BigInt(Number(hours) * 60 + Number(minutes)) * 60_000_000n;
  return sign === '-' ? -micros : micros;
}

/** `2026-11-01T00:00:00.000000Z`: exact to the microsecond, which a Date cannot hold. */
function isoFromMicros(micros: bigint): string {
  const remainder = ((micros % 1000n) + 1000n) % 1000n;
  const iso = new Date(Number((micros - remainder) / 1000n)).toISOString();
  return `${iso.slice(0, -1)}${String(remainder).padStart(3, '0')}Z`;
}

function invalid(param: string): ApiError {
  return apiErrors.invalidParameter(param, `Invalid ${param}: ${EXPECTED}`);
}
