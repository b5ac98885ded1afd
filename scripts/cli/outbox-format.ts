import type { OutboxRowDetail, OutboxRowView, OutboxStats } from '../../plugin/outbox/outbox-admin.js';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../plugin/types.js';
import { formatAge } from './duration.js';
import { cell, fields, table } from './output.js';

/** Estimated figures carry "≈" (see countStatus), with a line saying how to get exact ones. */
export function formatStats(stats: OutboxStats, estimated: readonly OutboxStatus[] = []): string {
  const figure = (status: OutboxStatus, n: number) => (estimated.includes(status) ? `≈${n}` : String(n));
  const byStatus = table(['STATUS', 'ROWS'], OUTBOX_STATUSES.map((s) => [s, figure(s, stats.byStatus[s])]));
  const age = stats.oldestPendingAgeSeconds;
  const oldest = `Oldest pending: ${age === null ? 'none pending' : `${formatAge(age)} (${age} s)`}`;
  const note = estimated.length ? `\n\n≈ estimated from a sample of the ${estimated.join(' and ')} rows; --exact counts them all (slow on a big table).` : '';
  const partners = Object.entries(stats.byPartner);
  if (partners.length === 0) return `${byStatus}\n\n${oldest}${note}`;
  const byPartner = table(
    ['PARTNER', ...OUTBOX_STATUSES.map((s) => s.toUpperCase())],
    partners.map(([slug, counts]) => [slug, ...OUTBOX_STATUSES.map((s) => figure(s, counts[s]))]),
  );
  return `${byStatus}\n\n${oldest}\n\n${byPartner}${note}`;
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
