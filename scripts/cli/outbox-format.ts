import type { OutboxRowDetail, OutboxRowView, OutboxStats } from '../../plugin/outbox/outbox-admin.js';
import { OUTBOX_STATUSES } from '../../plugin/types.js';
import { formatAge } from './duration.js';
import { cell, fields, table } from './output.js';

export function formatStats(stats: OutboxStats): string {
  const byStatus = table(['STATUS', 'ROWS'], OUTBOX_STATUSES.map((s) => [s, String(stats.byStatus[s])]));
  const age = stats.oldestPendingAgeSeconds;
  const oldest = `Oldest pending: ${age === null ? 'none pending' : `${formatAge(age)} (${age} s)`}`;
  const partners = Object.entries(stats.byPartner);
  if (partners.length === 0) return `${byStatus}\n\n${oldest}`;
  const byPartner = table(
    ['PARTNER', ...OUTBOX_STATUSES.map((s) => s.toUpperCase())],
    partners.map(([slug, counts]) => [slug, ...OUTBOX_STATUSES.map((s) => String(counts[s]))]),
  );
  return `${byStatus}\n\n${oldest}\n\n${byPartner}`;
}

export function formatRowList(rows: readonly OutboxRowView[]): string {
  if (rows.length === 0) return 'No outbox rows match.';
  return table(
    ['ID', 'STATUS', 'PARTNER', 'EVENT ID', 'TYPE', 'ATTEMPTS', 'RECEIVED', 'NEXT ATTEMPT', 'LAST ERROR'],
    rows.map((r) => [
      String(r.id),
      r.status,
      r.partner,
      cell(r.eventId, 40),
      cell(r.eventType, 30),
      String(r.attempts),
      r.receivedAt,
      r.status === 'pending' ? r.nextAttemptAt : '-',
      cell(r.lastError, 60),
    ]),
  );
}

export function formatRowDetail(row: OutboxRowDetail): string {
  const summary = fields([
    ['Id', String(row.id)],
    ['Partner', row.partner],
    ['Event id', row.eventId],
    ['Type', row.eventType ?? '-'],
    ['Status', row.status],
    ['Attempts', String(row.attempts)],
    ['Received', row.receivedAt],
    ['Next attempt', row.nextAttemptAt],
    ['Locked by', row.lockedBy ? `${row.lockedBy} until ${row.lockedUntil ?? '?'}` : '-'],
    ['Processed', row.processedAt ?? '-'],
    ['Last error', row.lastError ?? '-'],
    ['Order', row.orderKey === null ? 'unordered' : `key ${row.orderKey}, version ${row.orderVersion}`],
    ...(row.skippedReason ? [['Skipped', row.skippedReason === 'stale' ? 'stale: a newer version of the record was already applied; handlers not called' : row.skippedReason] as [string, string]] : []),
  ]);
  const names = Object.keys(row.headers).sort();
  const headers = names.length ? names.map((n) => `  ${n}: ${row.headers[n]}`).join('\n') : '  (none)';
  const payload = typeof row.payload === 'string' ? `(not valid JSON, shown as received)\n${row.payload}` : JSON.stringify(row.payload, null, 2);
  return `${summary}\n\nHeaders (as stored; signatures redacted):\n${headers}\n\nPayload:\n${payload}`;
}
