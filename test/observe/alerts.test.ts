import { expect } from 'chai';
import { evaluateAlerts, QUIET, type AlertFigures, type AlertState, type AlertThresholds } from '../../plugin/observe/alerts.js';
import type { Alert } from '../../plugin/types.js';

const thresholds: AlertThresholds = { oldestPendingSeconds: 600, deadRowsAdded: 3, failureRatio: 0.5, minAttempts: 10, windowSeconds: 300 };

/** Runs the evaluator over a series of checks, as the monitor would; returns every alert emitted. */
function run(checks: AlertFigures[], limits = thresholds): { alerts: Alert[]; state: AlertState } {
  let state = QUIET;
  const alerts: Alert[] = [];
  for (const figures of checks) {
    const result = evaluateAlerts(state, figures, limits);
    state = result.state;
    alerts.push(...result.alerts);
  }
  return { alerts, state };
}

const brief = (alerts: Alert[]) => alerts.map((a) => `${a.name}:${a.state}`);

describe('alert evaluation', () => {
  it('fires once when a pending event is overdue, however many checks see it', () => {
    const { alerts, state } = run([{ overdueSeconds: 10 }, { overdueSeconds: 700 }, { overdueSeconds: 800 }, { overdueSeconds: 900 }]);
    expect(brief(alerts)).to.deep.equal(['oldest_pending_age:firing']);
    expect(alerts[0]).to.include({ value: 700, threshold: 600 });
    expect(alerts[0]!.message).to.match(/700 s/);
    expect(state.oldest_pending_age).to.equal(true);
  });

  it('resolves once when the condition clears, and fires again for a new episode', () => {
    const { alerts } = run([
      { overdueSeconds: 700 },
      { overdueSeconds: null },
      { overdueSeconds: null },
      { overdueSeconds: 650 },
      { overdueSeconds: 5 },
    ]);
    expect(brief(alerts)).to.deep.equal([
      'oldest_pending_age:firing',
      'oldest_pending_age:resolved',
      'oldest_pending_age:firing',
      'oldest_pending_age:resolved',
    ]);
    expect(alerts[1]).to.include({ state: 'resolved', value: 0, threshold: 600 });
  });

  it('keeps an alert\'s state while its figure cannot be read', () => {
    const { alerts, state } = run([{ overdueSeconds: 700 }, {}, {}, { overdueSeconds: 800 }]);
    expect(brief(alerts)).to.deep.equal(['oldest_pending_age:firing']);
    expect(state.oldest_pending_age).to.equal(true);
  });

  it('fires when the dead rows added within the window reach the threshold', () => {
    const { alerts } = run([{ deadRowsAdded: 2 }, { deadRowsAdded: 3 }, { deadRowsAdded: 4 }, { deadRowsAdded: 0 }]);
    expect(brief(alerts)).to.deep.equal(['dead_rows_added:firing', 'dead_rows_added:resolved']);
    expect(alerts[0]).to.include({ value: 3, threshold: 3 });
  });

  it('fires on the failure ratio only once enough attempts were made', () => {
    const { alerts } = run([
      { attempts: { attempts: 4, failed: 4 } },
      { attempts: { attempts: 20, failed: 9 } },
      { attempts: { attempts: 20, failed: 10 } },
      { attempts: { attempts: 30, failed: 20 } },
      { attempts: { attempts: 30, failed: 3 } },
    ]);
    expect(brief(alerts)).to.deep.equal(['failure_ratio:firing', 'failure_ratio:resolved']);
    expect(alerts[0]).to.include({ value: 0.5, threshold: 0.5 });
    expect(alerts[0]!.message).to.include('50%');
  });

  it('tracks each alert separately', () => {
    const { alerts } = run([
      { overdueSeconds: 700, deadRowsAdded: 0 },
      { overdueSeconds: 700, deadRowsAdded: 5 },
      { overdueSeconds: 0, deadRowsAdded: 5 },
    ]);
    expect(brief(alerts)).to.deep.equal(['oldest_pending_age:firing', 'dead_rows_added:firing', 'oldest_pending_age:resolved']);
  });

  it('never alerts on a condition without a threshold', () => {
    const { alerts } = run([{ overdueSeconds: 1e9, deadRowsAdded: 1e9, attempts: { attempts: 100, failed: 100 } }], { minAttempts: 1, windowSeconds: 60 });
    expect(alerts).to.deep.equal([]);
  });
});
