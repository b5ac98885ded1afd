import type { Knex } from 'knex';
import { toDbTime } from '../../plugin/store/time.js';
import type { OutboxStatus } from '../../plugin/types.js';

export interface SeedRow {
  partner?: string;
  eventId: string;
  eventType?: string;
  status: OutboxStatus;
  /** How long ago it was received (and, unless `dueInMs` says otherwise, due). */
  ageMs?: number;
  /** next_attempt_at relative to now; default: received_at. */
  dueInMs?: number;
  /** processed_at relative to now, for done and dead rows; default: received_at. */
  processedAgoMs?: number;
  lastError?: string;
  attempts?: number;
  /** Also write the row's dedupe entry, received at the same time. */
  dedupe?: boolean;
}

/** Writes an outbox row as if it had been received `ageMs` ago; returns its id. Times are the host's clock. */
export async function seedOutboxRow(knex: Knex, row: SeedRow): Promise<number> {
  const now = Date.now();
  const receivedMs = now - (row.ageMs ?? 0);
  const finished = row.status === 'done' || row.status === 'dead';
  const partner = row.partner ?? 'acme';
  await knex('webhook_outbox').insert({
    partner,
    event_id: row.eventId,
    event_type: row.eventType ?? 'seeded',
    payload: JSON.stringify({ id: row.eventId }),
    headers: '{}',
    status: row.status,
    attempts: row.attempts ?? (row.status === 'pending' ? 0 : 1),
    next_attempt_at: toDbTime(row.dueInMs === undefined ? receivedMs : now + row.dueInMs),
    locked_by: row.status === 'processing' ? 'seed' : null,
    locked_until: row.status === 'processing' ? toDbTime(now + 60_000) : null,
    last_error: row.lastError ?? (row.status === 'dead' ? 'seeded failure' : null),
    received_at: toDbTime(receivedMs),
    processed_at: finished ? toDbTime(row.processedAgoMs === undefined ? receivedMs : now - row.processedAgoMs) : null,
  });
  if (row.dedupe) await knex('webhook_dedupe').insert({ partner, event_id: row.eventId, received_at: toDbTime(receivedMs) });
  const found = await knex('webhook_outbox').select('id').where({ partner, event_id: row.eventId }).first();
  return Number((found as { id: number | string }).id);
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition format (what /_metrics answers) into samples. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, '$1');
    const raw = match[3]!;
    samples.push({ name: match[1]!, labels, value: /^nan$/i.test(raw) ? Number.NaN : Number(raw) });
  }
  return samples;
}

/** The value of the one sample with this name and (at least) these labels; undefined when absent. */
export function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

export async function scrape(baseUrl: string): Promise<{ status: number; contentType: string | null; samples: Sample[]; text: string }> {
  const response = await fetch(`${baseUrl}/_metrics`);
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), samples: parsePrometheusText(text), text };
}
