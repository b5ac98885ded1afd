import type { OutboxRowView } from '../store/outbox-rows.js';

export interface TimelineEntry {
  /** null where the row does not record when (earlier attempts). */
  at: string | null;
  what: string;
}

/**
 * An event's timeline as far as its row tells it. The outbox keeps the current state, not a log of
 * attempts, so earlier attempts appear as one line (their count and the last error); the page says so.
 */
export function timelineOf(row: OutboxRowView): TimelineEntry[] {
  const entries: TimelineEntry[] = [{ at: row.receivedAt, what: 'received and committed (answered 202)' }];
  const failures = row.status === 'done' ? row.attempts - 1 : row.status === 'processing' ? row.attempts - 1 : row.attempts;
  if (row.lastError !== null && failures > 0) {
    entries.push({ at: null, what: `${failures} failed attempt${failures === 1 ? '' : 's'}; last error: ${row.lastError}` });
  }
  switch (row.status) {
    case 'pending':
      entries.push({ at: row.nextAttemptAt, what: row.attempts === 0 ? 'due for its first attempt' : `due for attempt ${row.attempts + 1}` });
      break;
    case 'processing':
      entries.push({ at: row.lockedUntil ?? row.nextAttemptAt, what: `attempt ${row.attempts} running on ${row.lockedBy ?? 'a worker'} (lease until this time)` });
      break;
    case 'done':
      entries.push({ at: row.processedAt ?? row.receivedAt, what: `done after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'}` });
      break;
    case 'dead':
      entries.push({ at: row.processedAt ?? row.receivedAt, what: `dead after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'}: replay it once the cause is fixed` });
      break;
  }
  return entries;
}
