import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ConfigError } from '../errors.js';
import type { OutboxFigures, ReadOutboxFigures } from './outbox-figures.js';
import { partnerLabels } from './partner-label.js';
import type { Telemetry } from './telemetry.js';

const BACKLOG_STATUSES = ['pending', 'processing', 'dead'] as const;

export const METRIC_NAMES = Object.freeze({
  requests: 'crm_webhooks_requests_total',
  ackDuration: 'crm_webhooks_ack_duration_seconds',
  processingDuration: 'crm_webhooks_processing_duration_seconds',
  attempts: 'crm_webhooks_attempts_total',
  queueDepth: 'crm_webhooks_queue_depth',
  outboxRows: 'crm_webhooks_outbox_rows',
  oldestPendingAge: 'crm_webhooks_oldest_pending_age_seconds',
  deadRows: 'crm_webhooks_dead_rows',
  databaseUp: 'crm_webhooks_database_up',
  eventLoopDelay: 'crm_webhooks_event_loop_delay_seconds',
  orderUnreadable: 'crm_webhooks_order_unreadable_total',
  orderBlockedKeys: 'crm_webhooks_order_blocked_keys',
  orderOldestBlocked: 'crm_webhooks_order_oldest_blocked_seconds',
});

// An acknowledgement is a commit: ~1 ms on an idle SQLite, tens of ms on a busy MySQL, seconds
// when the pool is exhausted (the partner's own timeout is usually 5-30 s).
const ACK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
// Handlers call other systems: up to the default 30 s handler timeout.
const PROCESSING_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface MetricsSources {
  /** Events held in this process's memory (the dispatcher's depth), read at scrape time. */
  queueDepth(): number;
  /** Outbox statistics with a deadline, read at scrape time. */
  outboxFigures: ReadOutboxFigures;
  /** This process's event-loop delay in ms (the guard's last window), read at scrape time. */
  eventLoopDelayMs?(): number;
}

export interface MetricsOptions {
  /** Distinct partner label values before further partners are counted as '(other)'. */
  maxPartnerLabels?: number;
}

/**
 * Registers the plugin's series on `registry` (never prom-client's global one, so two plugin
 * instances with their own registries never meet) and returns the Telemetry that feeds them.
 * Database gauges are collected at scrape time; when the database does not answer in time they read
 * NaN and crm_webhooks_database_up reads 0, rather than showing stale or reassuring zeros.
 */
export function createMetrics(registry: Registry, sources: MetricsSources, options: MetricsOptions = {}): Telemetry {
  for (const name of Object.values(METRIC_NAMES)) {
    if (registry.getSingleMetric(name)) {
      throw new ConfigError(`invalid option metricsRegistry: it already holds ${name}; give each plugin instance its own registry`);
    }
  }
  const registers = [registry];
  const label = partnerLabels(options.maxPartnerLabels ?? 500);

  const requests = new Counter({
    name: METRIC_NAMES.requests,
    help: 'Requests to the receive route by partner ((unknown) for slugs that are not partners) and outcome.',
    labelNames: ['partner', 'outcome'] as const,
    registers,
  });
  const ack = new Histogram({
    name: METRIC_NAMES.ackDuration,
    help: 'Time from a request\'s arrival to its answer, by partner and result (accepted, duplicate, rejected).',
    labelNames: ['partner', 'result'] as const,
    buckets: ACK_BUCKETS,
    registers,
  });
  const processing = new Histogram({
    name: METRIC_NAMES.processingDuration,
    help: 'Duration of one processing attempt (handlers and the done mark), by partner.',
    labelNames: ['partner'] as const,
    buckets: PROCESSING_BUCKETS,
    registers,
  });
  const attempts = new Counter({
    name: METRIC_NAMES.attempts,
    help: 'Processing attempts in this process by partner and outcome (done, unhandled, stale, retry, dead, lease_lost, released).',
    labelNames: ['partner', 'outcome'] as const,
    registers,
  });
  new Gauge({
    name: METRIC_NAMES.queueDepth,
    help: 'Events held in this process\'s memory: waiting, running, or reserved for a commit in flight.',
    registers,
    collect() {
      this.set(sources.queueDepth());
    },
  });
  const loopDelay = sources.eventLoopDelayMs;
  if (loopDelay) {
    new Gauge({
      name: METRIC_NAMES.eventLoopDelay,
      help: 'Event-loop delay of this process over the last window (p99 of the samples or one long block); past receive.maxEventLoopDelayMs new webhooks get 503.',
      registers,
      collect() {
        this.set(loopDelay() / 1000);
      },
    });
  }
  registerDatabaseGauges(registers, sources.outboxFigures);

  // prom-client hashes a label set on every inc/observe; the series of one (partner, outcome) are
  // looked up once and kept, as every request and every attempt reports here. Bounded: partner
  // labels are capped above and outcomes are a fixed set.
  type Series = { inc(): void; observe(seconds: number): void };
  const requestSeries = new Map<string, Series>();
  const attemptSeries = new Map<string, Series>();
  const series = (cache: Map<string, Series>, partner: string, outcome: string, make: (partnerLabel: string) => Series) => {
    const partnerLabel = label(partner);
    const key = `${partnerLabel}\u0000${outcome}`;
    let found = cache.get(key);
    if (!found) cache.set(key, (found = make(partnerLabel)));
    return found;
  };
  return {
    request(partner, outcome, seconds) {
      const s = series(requestSeries, partner, outcome, (partnerLabel) => {
        const counter = requests.labels({ partner: partnerLabel, outcome });
        const histogram = ack.labels({ partner: partnerLabel, result: outcome === 'accepted' || outcome === 'duplicate' ? outcome : 'rejected' });
        return { inc: () => counter.inc(), observe: (v) => histogram.observe(v) };
      });
      s.inc();
      s.observe(seconds);
    },
    attempt(partner, outcome, seconds) {
      const s = series(attemptSeries, partner, outcome, (partnerLabel) => {
        const counter = attempts.labels({ partner: partnerLabel, outcome });
        const histogram = processing.labels({ partner: partnerLabel });
        return { inc: () => counter.inc(), observe: (v) => histogram.observe(v) };
      });
      s.inc();
      s.observe(seconds);
    },
  };
}

function registerDatabaseGauges(registers: Registry[], readFigures: ReadOutboxFigures): void {
  // The four gauges are collected in parallel; readFigures shares one query among them.
  const figures = (): Promise<OutboxFigures | null> => readFigures().catch(() => null);
  new Gauge({
    name: METRIC_NAMES.outboxRows,
    help: 'Rows in webhook_outbox that are pending, processing or dead, across every process (read at scrape time; done rows are counted by attempts_total instead).',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const read = await figures();
      for (const status of BACKLOG_STATUSES) this.set({ status }, read ? read.byStatus[status] : Number.NaN);
    },
  });
  new Gauge({
    name: METRIC_NAMES.oldestPendingAge,
    help: 'Age in seconds of the oldest pending event (0 when none), across every process.',
    registers,
    async collect() {
      const read = await figures();
      this.set(read ? read.oldestPendingAgeSeconds ?? 0 : Number.NaN);
    },
  });
  new Gauge({
    name: METRIC_NAMES.deadRows,
    help: 'Dead rows in webhook_outbox: events that failed their last attempt and wait for a replay.',
    registers,
    async collect() {
      const read = await figures();
      this.set(read ? read.byStatus.dead : Number.NaN);
    },
  });
  new Gauge({
    name: METRIC_NAMES.databaseUp,
    help: '1 when the outbox statistics answered within the timeout at this scrape, else 0 (the database gauges then read NaN).',
    registers,
    async collect() {
      this.set((await figures()) ? 1 : 0);
    },
  });
}
