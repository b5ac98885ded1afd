import { expect } from 'chai';
import { createPoller } from '../../plugin/worker/poller.js';
import { recordingLogger } from '../helpers/logger.js';

const deadlock = () => Object.assign(new Error('Deadlock found when trying to get lock'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 });
const isDeadlock = (error: unknown) => (error as { code?: string }).code === 'ER_LOCK_DEADLOCK';

describe('outbox poller', () => {
  it('polls again at once after a deadlock, without an error line, and still reports a real failure', async () => {
    const logger = recordingLogger();
    const outcomes: Array<'deadlock' | 'down' | 'ok'> = ['deadlock', 'deadlock', 'ok', 'down', 'ok'];
    const polledAt: number[] = [];
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const poller = createPoller({
      // A long idle interval: only an immediate re-poll can make five polls within the test.
      minIntervalMs: 1,
      maxIntervalMs: 60_000,
      logger,
      transient: isDeadlock,
      async poll() {
        polledAt.push(Date.now());
        const outcome = outcomes.shift();
        if (outcomes.length === 0) finished();
        if (outcome === 'deadlock') throw deadlock();
        if (outcome === 'down') throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return true; // a full batch: poll again at once
      },
    });
    poller.start();
    await done;
    await poller.stop();
    expect(polledAt).to.have.length(5);
    const errors = logger.lines.filter((line) => line.level === 'error');
    expect(errors.map((line) => line.msg)).to.deep.equal(['polling the outbox failed']);
    expect(errors[0]!.fields.err).to.deep.include({ code: 'ECONNREFUSED' });
    expect(logger.lines.filter((line) => line.level === 'debug' && /deadlock/.test(line.msg))).to.have.length(2);
  });
});
