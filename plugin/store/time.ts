/**
 * Times cross the driver as 'YYYY-MM-DD HH:MM:SS.mmm' strings in UTC, in both directions. Passing
 * Date objects would let the host's driver settings (mysql2's `timezone`) shift them, and the host's
 * knex is not ours to configure. SQLite stores the same text, which sorts chronologically.
 */
export function toDbTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}

export function fromDbTime(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string') {
    const iso = value.includes('T') ? value : value.replace(' ', 'T');
    const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
    if (!Number.isNaN(date.getTime())) return date;
  }
  if (typeof value === 'number') return new Date(value);
  throw new TypeError(`not a database time: ${String(value)}`);
}

export function fromDbTimeOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : fromDbTime(value);
}
