import { expect } from 'chai';
import { createMinuteFigures } from '../../plugin/observe/minute-figures.js';

describe('minute figures for the admin page', () => {
  const at = (minutes: number) => ({ now: () => Date.UTC(2026, 11, 2, 10, 0, 0) + minutes * 60_000 });

  it('counts per partner and minute, and refusals by reason over the last hour', () => {
    let clock = at(0);
    const figures = createMinuteFigures({ now: () => clock.now() });
    figures.request('acme', 'accepted', 0.004);
    figures.request('acme', 'duplicate', 0.002);
    figures.request('acme', 'partner_disabled', 0);
    figures.attempt('acme', 'done', 0.5);
    figures.attempt('acme', 'retry', 0.1);
    clock = at(1);
    figures.request('acme', 'partner_disabled', 0);
    figures.attempt('acme', 'released', 9);

    const read = figures.read();
    expect(read.minutes).to.have.length(60);
    expect(read.minutes.at(-1)).to.equal(at(1).now());
    const [previous, current] = read.partners.acme!.slice(-2);
    expect(previous).to.include({ accepted: 1, duplicate: 1, refused: 1, processed: 1, failed: 1, ackCount: 2, processingCount: 2 });
    expect(current).to.include({ accepted: 0, refused: 1, processingCount: 0 });
    expect(read.refusals.acme).to.deep.equal({ partner_disabled: 2 });
  });

  it('forgets minutes older than an hour', () => {
    let clock = at(0);
    const figures = createMinuteFigures({ now: () => clock.now() });
    figures.request('acme', 'unauthorized', 0);
    clock = at(59);
    expect(figures.read().refusals.acme).to.deep.equal({ unauthorized: 1 });
    clock = at(60);
    figures.request('acme', 'accepted', 0.001);
    const read = figures.read();
    expect(read.refusals.acme).to.deep.equal({});
    expect(read.partners.acme!.reduce((sum, m) => sum + m.refused, 0)).to.equal(0);
  });

  it('stops adding partners past its cap, so attacker-chosen labels cannot grow it', () => {
    const figures = createMinuteFigures(at(0), 2);
    for (const slug of ['a', 'b', 'c', 'd']) figures.request(slug, 'accepted', 0);
    expect(Object.keys(figures.read().partners)).to.deep.equal(['a', 'b']);
  });
});
