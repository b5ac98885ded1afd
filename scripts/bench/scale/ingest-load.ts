import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Dialect } from '../../../plugin/store/dialect.js';
import { insertEvents } from '../../../plugin/store/outbox-insert.js';

export interface IngestFigures {
  events: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Live traffic beside a prune, as issue 16 measured it: one event every `1000 / perSecond` ms, each
 * its own ingest transaction (dedupe row + outbox row) on a connection of its own, as another
 * process would send. `stop()` gives the commit latencies seen since `start()`.
 */
export function startIngest(knex: Knex, dialect: Dialect, options: { perSecond: number; partner: string }) {
  const samples: number[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  const send = async () => {
    const eventId = `bench_${randomUUID()}`;
    const started = performance.now();
    await knex.transaction((trx) =>
      insertEvents(trx, dialect, [{ partner: options.partner, eventId, eventType: 'contact.updated', payload: JSON.stringify({ id: eventId }), headers: '{}', bodySha256: null }], Date.now()),
    );
    samples.push(performance.now() - started);
  };
  const timer = setInterval(() => {
    inFlight = Promise.all([inFlight, send()]).then(() => undefined);
  }, 1000 / options.perSecond);
  return {
    async stop(): Promise<IngestFigures> {
      clearInterval(timer);
      await inFlight;
      const sorted = [...samples].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      return { events: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.at(-1) ?? 0 };
    },
  };
}
