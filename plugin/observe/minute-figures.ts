import type { Clock } from '../types.js';
import type { AttemptOutcome, RequestOutcome, Telemetry } from './telemetry.js';

/** One partner's figures for one minute. Latencies are sums, so a minute's mean is sum / count. */
export interface MinuteCounts {
  accepted: number;
  duplicate: number;
  refused: number;
  processed: number;
  failed: number;
  ackSecondsSum: number;
  ackCount: number;
  processingSecondsSum: number;
  processingCount: number;
}

export interface MinuteSeries {
  /** Start of each minute (ms since the epoch), oldest first; the last one is the current minute. */
  minutes: number[];
  partners: Record<string, MinuteCounts[]>;
  /** Refusals over the whole window per partner, by reason (the receive route's outcome). */
  refusals: Record<string, Partial<Record<RequestOutcome, number>>>;
}

const MINUTE_MS = 60_000;
const WINDOW = 60;

const empty = (): MinuteCounts => ({
  accepted: 0, duplicate: 0, refused: 0, processed: 0, failed: 0,
  ackSecondsSum: 0, ackCount: 0, processingSecondsSum: 0, processingCount: 0,
});

interface Bucket {
  minute: number;
  counts: MinuteCounts;
  refusals: Partial<Record<RequestOutcome, number>>;
}

/**
 * This process's per-minute figures for the last hour, per partner, for the admin page's "Now" view.
 * Prometheus keeps the long history; this ring only answers "what happened here lately" without
 * a metrics server. Memory is bounded: 60 buckets per partner label, and the partners are the
 * receive route's labels, already capped ('(unknown)' for slugs that are not partners).
 * Each process counts what it saw itself: behind a load balancer, the page shows one process.
 */
export function createMinuteFigures(clock: Clock, maxPartners = 500): Telemetry & { read(): MinuteSeries } {
  const rings = new Map<string, Bucket[]>();

  function bucket(partner: string): Bucket | undefined {
    const minute = Math.floor(clock.now() / MINUTE_MS) * MINUTE_MS;
    let ring = rings.get(partner);
    if (!ring) {
      if (rings.size >= maxPartners) return undefined;
      ring = [];
      rings.set(partner, ring);
    }
    let last = ring.at(-1);
    if (!last || last.minute !== minute) {
      last = { minute, counts: empty(), refusals: {} };
      ring.push(last);
      // Drop buckets older than the window; they are never read again.
      while (ring.length > 0 && ring[0]!.minute <= minute - WINDOW * MINUTE_MS) ring.shift();
    }
    return last;
  }

  return {
    request(partner, outcome, seconds) {
      const b = bucket(partner);
      if (!b) return;
      if (outcome === 'accepted' || outcome === 'duplicate') {
        b.counts[outcome] += 1;
        b.counts.ackSecondsSum += seconds;
        b.counts.ackCount += 1;
      } else {
        b.counts.refused += 1;
        b.refusals[outcome] = (b.refusals[outcome] ?? 0) + 1;
      }
    },
    attempt(partner, outcome: AttemptOutcome, seconds) {
      if (outcome === 'lease_lost' || outcome === 'released') return;
      const b = bucket(partner);
      if (!b) return;
      if (outcome === 'done' || outcome === 'unhandled' || outcome === 'dead') {
        if (outcome === 'dead') b.counts.failed += 1;
        else b.counts.processed += 1;
      } else {
        b.counts.failed += 1;
      }
      b.counts.processingSecondsSum += seconds;
      b.counts.processingCount += 1;
    },
    read() {
      const current = Math.floor(clock.now() / MINUTE_MS) * MINUTE_MS;
      const minutes = Array.from({ length: WINDOW }, (_, i) => current - (WINDOW - 1 - i) * MINUTE_MS);
      const partners: MinuteSeries['partners'] = {};
      const refusals: MinuteSeries['refusals'] = {};
      for (const [partner, ring] of rings) {
        const byMinute = new Map(ring.map((b) => [b.minute, b]));
        partners[partner] = minutes.map((m) => ({ ...(byMinute.get(m)?.counts ?? empty()) }));
        const totals: Partial<Record<RequestOutcome, number>> = {};
        for (const b of ring) {
          if (b.minute < minutes[0]!) continue;
          for (const [reason, n] of Object.entries(b.refusals) as Array<[RequestOutcome, number]>) totals[reason] = (totals[reason] ?? 0) + n;
        }
        refusals[partner] = totals;
      }
      return { minutes, partners, refusals };
    },
  };
}
