import { Counter, Gauge, type Registry } from 'prom-client';
import { METRIC_NAMES } from './metrics.js';
import type { ReadOutboxFigures } from './outbox-figures.js';
import { partnerLabels } from './partner-label.js';

/**
 * Issue 12's series. Stale skips are counted by crm_webhooks_attempts_total{outcome="stale"}; these
 * add the events that could not be ordered and the keys held back by a failure.
 */
export function createOrderMetrics(registry: Registry, figures: ReadOutboxFigures, options: { maxPartnerLabels?: number } = {}) {
  const registers = [registry];
  const label = partnerLabels(options.maxPartnerLabels ?? 500);
  const unreadable = new Counter({
    name: METRIC_NAMES.orderUnreadable,
    help: 'Events of ordered partners whose order key or version could not be read at ingest, by partner and field; they were processed unordered.',
    labelNames: ['partner', 'field'] as const,
    registers,
  });
  const read = () => figures().catch(() => null);
  new Gauge({
    name: METRIC_NAMES.orderBlockedKeys,
    help: 'Order keys whose due events wait behind a failed earlier event (retrying, or dead with onDead block), across every process.',
    registers,
    async collect() {
      const value = await read();
      this.set(value ? value.blockedKeys ?? 0 : Number.NaN);
    },
  });
  new Gauge({
    name: METRIC_NAMES.orderOldestBlocked,
    help: 'Seconds the oldest of those held-back events has been due (0 when none), across every process.',
    registers,
    async collect() {
      const value = await read();
      this.set(value ? value.oldestBlockedKeySeconds ?? 0 : Number.NaN);
    },
  });
  return {
    unordered(partner: string, field: 'key' | 'version'): void {
      unreadable.inc({ partner: label(partner), field });
    },
  };
}
