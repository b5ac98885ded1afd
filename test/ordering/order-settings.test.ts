import { expect } from 'chai';
import { orderKeyOf, orderVersionOf, readOrderFields } from '../../plugin/ingest/order-fields.js';
import { oneLineReason, parseJson, runCli } from '../cli/run-cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';

describe('reading an event\'s order key and version', () => {
  it('accepts numbers, numeric strings and ISO 8601 times with an offset as versions', () => {
    expect(orderVersionOf(1700000000)).to.equal(1700000000);
    expect(orderVersionOf('42')).to.equal(42);
    expect(orderVersionOf('2026-12-01T10:00:00.250Z')).to.equal(Date.parse('2026-12-01T10:00:00.250Z'));
    expect(orderVersionOf('2026-12-01T11:00:00+01:00')).to.equal(Date.parse('2026-12-01T10:00:00Z'));
  });

  it('refuses versions that could misorder: local times, huge integers, words, booleans', () => {
    for (const value of ['2026-12-01T10:00:00', '123456789012345678901', 'yesterday', true, null, Number.NaN, {}]) {
      expect(orderVersionOf(value), String(value)).to.equal(null);
    }
  });

  it('takes string and integer keys up to 191 characters, and nothing else', () => {
    expect(orderKeyOf('cus_1')).to.equal('cus_1');
    expect(orderKeyOf(7)).to.equal('7');
    for (const value of ['', 'x'.repeat(192), 'a\nb', 1.5, ['a'], undefined]) expect(orderKeyOf(value)).to.equal(null);
  });

  it('says which field could not be read, so the event runs unordered and is counted', () => {
    const settings = { orderKeyFrom: 'body:data.id', versionFrom: 'header:x-version' };
    expect(readOrderFields(settings, { 'x-version': '3' }, { data: { id: 'c1' } })).to.deep.equal({ order: { key: 'c1', version: 3, onDead: 'continue' }, unreadable: null });
    expect(readOrderFields(settings, {}, { data: { id: 'c1' } }).unreadable).to.equal('version');
    expect(readOrderFields(settings, { 'x-version': '3' }, { data: {} }).unreadable).to.equal('key');
    expect(readOrderFields({}, {}, {})).to.deep.equal({ order: null, unreadable: null });
  });
});

describe('crm-webhooks partner set with ordering flags', () => {
  let db: TestDatabase;
  const cli = (args: string[]) => runCli(args, { env: { DATABASE_URL: db.url }, timeoutMs: 60_000 });

  before(async () => {
    db = await createTestDatabase('sqlite');
    expect((await cli(['migrate'])).code).to.equal(0);
    expect((await cli(['partner', 'add', 'acme'])).code).to.equal(0);
  });
  after(async () => {
    await db?.destroy();
  });

  it('stores the order key, version and on-dead policy, shows them, and removes them with --unset', async () => {
    const set = await cli(['partner', 'set', 'acme', '--order-key-from', 'body:data.object.id', '--version-from', 'body:created', '--on-dead', 'block', '--json']);
    expect(set.code, set.stderr).to.equal(0);
    expect(parseJson<{ settings: unknown }>(set).settings).to.deep.equal({ orderKeyFrom: 'body:data.object.id', versionFrom: 'body:created', onDead: 'block' });
    expect((await cli(['partner', 'show', 'acme'])).stdout).to.include('ordered by body:data.object.id, version body:created, on dead block');
    const unset = await cli(['partner', 'set', 'acme', '--unset', 'order-key-from', '--unset', 'version-from', '--unset', 'on-dead', '--json']);
    expect(parseJson<{ settings: unknown }>(unset).settings).to.deep.equal({});
  });

  it('refuses a key without a version, and an unknown on-dead policy, with one line', async () => {
    const alone = await cli(['partner', 'set', 'acme', '--order-key-from', 'body:data.id']);
    expect(alone.code).to.not.equal(0);
    expect(oneLineReason(alone)).to.match(/orderKeyFrom and versionFrom go together/);
    const policy = await cli(['partner', 'set', 'acme', '--on-dead', 'maybe']);
    expect(policy.code).to.not.equal(0);
    expect(oneLineReason(policy)).to.match(/--on-dead takes continue or block/);
  });
});
