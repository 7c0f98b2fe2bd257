/** A timestamp as the API shows it: ISO 8601 in UTC to the second, like the API contract's "2024-06-10T12:00:00Z". */
export function apiTimestamp(value: Date | string): string {
  return (typeof value === 'string' ? new Date(value) : value).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The same, passing null through. */
export function apiTimestampOrNull(value: Date | string | null | undefined): string | null {
  return value == null ? null : apiTimestamp(value);
}
