import type { AlertFigures, AlertThresholds } from './alerts.js';
import type { AttemptTotals } from './attempt-window.js';
import { withTimeout } from './with-timeout.js';

export interface AlertFigureSources {
  /** Seconds the most overdue pending event has waited past its due time, in every process. */
  overdueSeconds(): Promise<number | null>;
  /** Issue 12: seconds the oldest event held back by a failed earlier event of its key has been due. */
  oldestBlockedKeySeconds?: () => Promise<number | null>;
  /** Rows that went dead at or after this database time, in every process. */
  deadRowsSince(sinceMs: number): Promise<number>;
  /** This process's attempts within the window. */
  attempts: { totals(): AttemptTotals };
  /** The database's clock: processed_at is written in its time. */
  dbNow(): number;
  timeoutMs: number;
}

export interface AlertReading {
  figures: AlertFigures;
  /** Why a figure is missing; the monitor logs the first of a run of failures. */
  failure: unknown;
}

/** Reads only the figures some threshold needs, each on its own: one failing query hides only its alert. */
export function alertFiguresReader(sources: AlertFigureSources, thresholds: AlertThresholds): () => Promise<AlertReading> {
  return async () => {
    const figures: AlertFigures = {};
    let failure: unknown = undefined;
    const noteFailure = (error: unknown) => {
      failure ??= error;
    };
    const tasks: Promise<void>[] = [];
    if (thresholds.oldestPendingSeconds !== undefined) {
      const read = withTimeout(sources.overdueSeconds(), sources.timeoutMs, 'the overdue events query');
      tasks.push(read.then((value) => void (figures.overdueSeconds = value), noteFailure));
    }
    if (thresholds.deadRowsAdded !== undefined) {
      const since = sources.dbNow() - thresholds.windowSeconds * 1000;
      const read = withTimeout(sources.deadRowsSince(since), sources.timeoutMs, 'the dead rows query');
      tasks.push(read.then((count) => void (figures.deadRowsAdded = count), noteFailure));
    }
    if (thresholds.oldestBlockedKeySeconds !== undefined && sources.oldestBlockedKeySeconds) {
      const read = withTimeout(sources.oldestBlockedKeySeconds(), sources.timeoutMs, 'the blocked keys query');
      tasks.push(read.then((value) => void (figures.oldestBlockedKeySeconds = value), noteFailure));
    }
    if (thresholds.failureRatio !== undefined) figures.attempts = sources.attempts.totals();
    await Promise.all(tasks);
    return { figures, failure };
  };
}
