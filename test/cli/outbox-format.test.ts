import { expect } from 'chai';
import { formatStats } from '../../scripts/cli/outbox-format.js';

describe('outbox stats output', () => {
  const stats = {
    byStatus: { pending: 2, processing: 0, done: 1_250_000, dead: 7 },
    byPartner: { acme: { pending: 2, processing: 0, done: 1_250_000, dead: 7 } },
    oldestPendingAgeSeconds: 12,
  };

  it('marks estimated figures with ≈ and says how to count them exactly', () => {
    const text = formatStats(stats, ['done']);
    expect(text).to.match(/^done\s+≈1250000$/m);
    expect(text).to.match(/^pending\s+2$/m);
    expect(text).to.match(/^acme\s+2\s+0\s+≈1250000\s+7$/m);
    expect(text).to.include('--exact counts them all');
  });

  it('prints exact figures bare, with no note', () => {
    const text = formatStats(stats, []);
    expect(text).not.to.include('≈');
    expect(text).not.to.include('--exact');
    expect(text).to.match(/^done\s+1250000$/m);
  });
});
