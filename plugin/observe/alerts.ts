import type { Alert } from '../types.js';
import type { AttemptTotals } from './attempt-window.js';

export type AlertName = Alert['name'];

export interface AlertThresholds {
  oldestPendingSeconds?: number | undefined;
  deadRowsAdded?: number | undefined;
  failureRatio?: number | undefined;
  oldestBlockedKeySeconds?: number | undefined;
  /** Fewer attempts than this within the window never raise a failure-ratio alert (one failure is not 100 %). */
  minAttempts: number;
  windowSeconds: number;
}

/** What one check measured. A figure left undefined could not be read: its alert keeps its state. */
export interface AlertFigures {
  /** How long the most overdue pending event has waited past its due time; null when none is due. */
  overdueSeconds?: number | null;
  deadRowsAdded?: number;
  attempts?: AttemptTotals;
  /** How long the oldest event held back by its key's failed earlier event has been due; null when none is. */
  oldestBlockedKeySeconds?: number | null;
}

/** Which alerts are firing. */
export type AlertState = Readonly<Record<AlertName, boolean>>;

export const QUIET: AlertState = Object.freeze({ oldest_pending_age: false, dead_rows_added: false, failure_ratio: false, oldest_blocked_key: false });

interface Rule {
  name: AlertName;
  threshold(t: AlertThresholds): number | undefined;
  /** The current value and whether it breaches; undefined when unknown. */
  measure(f: AlertFigures, threshold: number, t: AlertThresholds): { value: number; breached: boolean } | undefined;
  describe(value: number, threshold: number, t: AlertThresholds, state: Alert['state']): string;
}

const percent = (ratio: number) => `${Math.round(ratio * 1000) / 10}%`;

const RULES: readonly Rule[] = [
  {
    name: 'oldest_pending_age',
    threshold: (t) => t.oldestPendingSeconds,
    measure(f, threshold) {
      // Overdue rather than age since receipt: a retry scheduled hours ahead by backoff is not late.
      if (f.overdueSeconds === undefined) return undefined;
      const value = f.overdueSeconds ?? 0;
      return { value, breached: value > threshold };
    },
    describe: (value, threshold, _t, state) =>
      state === 'firing'
        ? `a pending event has been due for ${Math.round(value)} s without being processed (threshold ${threshold} s)`
        : `pending events are taken again: the most overdue has waited ${Math.round(value)} s (threshold ${threshold} s)`,
  },
  {
    name: 'dead_rows_added',
    threshold: (t) => t.deadRowsAdded,
    measure: (f, threshold) => (f.deadRowsAdded === undefined ? undefined : { value: f.deadRowsAdded, breached: f.deadRowsAdded >= threshold }),
    describe: (value, threshold, t, state) =>
      `${value} events went dead in the last ${t.windowSeconds} s (threshold ${threshold})${state === 'resolved' ? ': back under the threshold' : ''}`,
  },
  {
    name: 'failure_ratio',
    threshold: (t) => t.failureRatio,
    measure(f, threshold, t) {
      if (f.attempts === undefined) return undefined;
      const { attempts, failed } = f.attempts;
      const value = attempts === 0 ? 0 : failed / attempts;
      return { value, breached: attempts >= t.minAttempts && value >= threshold };
    },
    describe: (value, threshold, t, state) =>
      `${percent(value)} of this process's attempts failed in the last ${t.windowSeconds} s (threshold ${percent(threshold)})${state === 'resolved' ? ': back under the threshold' : ''}`,
  },
  {
    name: 'oldest_blocked_key',
    threshold: (t) => t.oldestBlockedKeySeconds,
    measure(f, threshold) {
      if (f.oldestBlockedKeySeconds === undefined) return undefined;
      const value = f.oldestBlockedKeySeconds ?? 0;
      return { value, breached: value > threshold };
    },
    describe: (value, threshold, _t, state) =>
      state === 'firing'
        ? `an order key has held its events back for ${Math.round(value)} s behind a failed event (threshold ${threshold} s)`
        : `order keys move again: the longest hold is ${Math.round(value)} s (threshold ${threshold} s)`,
  },
];

/**
 * One evaluation: a pure function of the previous state and what was measured, so episodes can be
 * tested without timers or databases. An alert is emitted only on a change of state ('firing' when a
 * condition starts to hold, 'resolved' when it stops), never once per check.
 */
export function evaluateAlerts(previous: AlertState, figures: AlertFigures, thresholds: AlertThresholds): { state: AlertState; alerts: Alert[] } {
  const state: Record<AlertName, boolean> = { ...previous };
  const alerts: Alert[] = [];
  for (const rule of RULES) {
    const threshold = rule.threshold(thresholds);
    if (threshold === undefined) {
      state[rule.name] = false;
      continue;
    }
    const measured = rule.measure(figures, threshold, thresholds);
    if (!measured || measured.breached === previous[rule.name]) continue;
    state[rule.name] = measured.breached;
    const alertState = measured.breached ? 'firing' : 'resolved';
    alerts.push({
      name: rule.name,
      state: alertState,
      value: measured.value,
      threshold,
      message: rule.describe(measured.value, threshold, thresholds, alertState),
    });
  }
  return { state, alerts };
}

/** True when at least one alert has a threshold, i.e. when checking is worth a query. */
export function anyAlertConfigured(thresholds: AlertThresholds): boolean {
  return RULES.some((rule) => rule.threshold(thresholds) !== undefined);
}
