import { expect } from 'chai';
import sinon from 'sinon';
import { createAlertMonitor } from '../../plugin/observe/alert-monitor.js';
import type { AlertReading } from '../../plugin/observe/alert-figures.js';
import type { Alert } from '../../plugin/types.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/requests.js';
import { seedOutboxRow } from './support.js';

describe('alert monitor', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  function monitorOver(readings: AlertReading[], onAlert: (alert: Alert) => unknown) {
    const logger = recordingLogger();
    let i = 0;
    const monitor = createAlertMonitor({
      thresholds: { deadRowsAdded: 2, minAttempts: 1, windowSeconds: 60 },
      intervalMs: 1000,
      read: async () => readings[Math.min(i++, readings.length - 1)]!,
      onAlert,
      logger,
    });
    return { monitor, logger, checks: () => i };
  }

  it('checks every interval while started, and not after stop', async () => {
    const { monitor, checks } = monitorOver([{ figures: { deadRowsAdded: 0 }, failure: undefined }], () => undefined);
    monitor.start();
    await clock.tickAsync(3500);
    expect(checks()).to.equal(3);
    await monitor.stop();
    await clock.tickAsync(5000);
    expect(checks()).to.equal(3);
  });

  it('logs each alert and survives an onAlert that throws or rejects', async () => {
    const onAlert = sinon.stub();
    onAlert.onFirstCall().throws(new Error('pager down'));
    onAlert.onSecondCall().rejects(new Error('pager still down'));
    const { monitor, logger } = monitorOver(
      [
        { figures: { deadRowsAdded: 5 }, failure: undefined },
        { figures: { deadRowsAdded: 0 }, failure: undefined },
      ],
      onAlert,
    );
    monitor.start();
    await clock.tickAsync(2500);
    await monitor.stop();
    expect(onAlert.callCount).to.equal(2);
    expect(onAlert.firstCall.args[0]).to.include({ name: 'dead_rows_added', state: 'firing' });
    expect(onAlert.secondCall.args[0]).to.include({ name: 'dead_rows_added', state: 'resolved' });
    expect(logger.lines.filter((l) => l.level === 'warn' && l.fields.alert === 'dead_rows_added')).to.have.length(1);
    expect(logger.lines.filter((l) => l.level === 'info' && l.fields.alert === 'dead_rows_added')).to.have.length(1);
    expect(logger.lines.filter((l) => l.msg.startsWith('onAlert failed'))).to.have.length(2);
  });

  it('logs one line when figures cannot be read, not one per check', async () => {
    const down: AlertReading = { figures: {}, failure: new Error('database down') };
    const { monitor, logger } = monitorOver([down, down, down, { figures: { deadRowsAdded: 0 }, failure: undefined }], () => undefined);
    monitor.start();
    await clock.tickAsync(4500);
    await monitor.stop();
    expect(logger.lines.filter((l) => l.msg.startsWith('alert figures could not be read'))).to.have.length(1);
    expect(logger.lines.filter((l) => l.msg.startsWith('alert figures can be read again'))).to.have.length(1);
  });
});

describeEachDatabase('alerts while the plugin runs', (db) => {
  let host: TestHost;
  const alerts: Alert[] = [];

  before(async () => {
    host = await startTestHost(db().knex, {
      // Slow polling keeps the seeded event pending, as if the workers were stuck.
      processing: { pollIntervalMs: 60_000, maxPollIntervalMs: 600_000 },
      alerts: { oldestPendingSeconds: 60, checkIntervalMs: 100 },
      onAlert: (alert) => {
        alerts.push(alert);
      },
    });
    await host.plugin.start();
    // Let the poll that start() schedules at once go by: the next is two minutes away.
    await new Promise((resolve) => setTimeout(resolve, 300));
  });
  after(async () => host?.close());

  it('calls onAlert once while an event stays overdue across several checks, then once resolved', async () => {
    const id = await seedOutboxRow(db().knex, { eventId: 'alert-stuck', status: 'pending', ageMs: 10 * 60_000 });
    await waitFor(() => (alerts.length > 0 ? true : undefined), 5000, 'the alert to fire');
    await new Promise((resolve) => setTimeout(resolve, 600)); // several more checks
    expect(alerts.map((a) => `${a.name}:${a.state}`)).to.deep.equal(['oldest_pending_age:firing']);
    expect(alerts[0]!.value).to.be.at.least(600 - 5);

    await db().knex('webhook_outbox').where('id', id).update({ status: 'done' });
    await waitFor(() => (alerts.length > 1 ? true : undefined), 5000, 'the alert to resolve');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(alerts.map((a) => `${a.name}:${a.state}`)).to.deep.equal(['oldest_pending_age:firing', 'oldest_pending_age:resolved']);
    expect(host.logger.lines.filter((l) => l.fields.alert === 'oldest_pending_age').map((l) => l.level)).to.deep.equal(['warn', 'info']);
  });
});
