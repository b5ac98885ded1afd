import type { Alert, Logger } from '../types.js';
import { anyAlertConfigured, evaluateAlerts, QUIET, type AlertState, type AlertThresholds } from './alerts.js';
import type { AlertReading } from './alert-figures.js';
import { loggableError } from './loggable-error.js';

export interface AlertMonitorDeps {
  thresholds: AlertThresholds;
  intervalMs: number;
  read(): Promise<AlertReading>;
  onAlert: ((alert: Alert) => unknown) | undefined;
  logger: Logger;
}

/**
 * Runs evaluateAlerts every `intervalMs` while started; does nothing at all when no threshold is set.
 * Every alert is logged (warn when firing, info when resolved) and passed to the host's onAlert,
 * whose failures (thrown or rejected) are logged and otherwise ignored.
 */
export function createAlertMonitor(deps: AlertMonitorDeps) {
  const { logger } = deps;
  let state: AlertState = QUIET;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | null = null;
  let failing = false;

  function emit(alert: Alert): void {
    const fields = { alert: alert.name, state: alert.state, value: alert.value, threshold: alert.threshold };
    if (alert.state === 'firing') logger.warn(fields, alert.message);
    else logger.info(fields, alert.message);
    if (!deps.onAlert) return;
    const reportFailure = (error: unknown) => logger.error({ err: loggableError(error), alert: alert.name }, 'onAlert failed; the alert is logged above');
    try {
      const result = deps.onAlert(alert);
      if (result instanceof Promise) result.catch(reportFailure);
    } catch (error) {
      reportFailure(error);
    }
  }

  async function check(): Promise<void> {
    let reading: AlertReading;
    try {
      reading = await deps.read();
    } catch (error) {
      reading = { figures: {}, failure: error };
    }
    // One line per outage, not one per check.
    if (reading.failure !== undefined && !failing) logger.warn({ err: loggableError(reading.failure) }, 'alert figures could not be read; alerts keep their state');
    if (reading.failure === undefined && failing) logger.info('alert figures can be read again');
    failing = reading.failure !== undefined;
    const result = evaluateAlerts(state, reading.figures, deps.thresholds);
    state = result.state;
    for (const alert of result.alerts) emit(alert);
  }

  function schedule(): void {
    if (!running) return;
    timer = setTimeout(() => {
      current = check().finally(() => {
        current = null;
        schedule();
      });
    }, deps.intervalMs);
  }

  return {
    get state(): AlertState {
      return state;
    },
    start(): void {
      if (running || !anyAlertConfigured(deps.thresholds)) return;
      running = true;
      schedule();
    },
    async stop(): Promise<void> {
      running = false;
      clearTimeout(timer);
      await current;
    },
  };
}

export type AlertMonitor = ReturnType<typeof createAlertMonitor>;
