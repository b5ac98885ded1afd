import { ConfigError } from '../../plugin/errors.js';
import { firstBodyField, readBodyPath } from '../../plugin/signatures/body-path.js';
import { locateEvent, parseLocation } from '../../plugin/signatures/event-locator.js';
import { getScheme } from '../../plugin/signatures/index.js';
import { expect } from 'chai';

describe('signatures/event-locator', () => {
  describe('parseLocation', () => {
    it('parses a header location, lower-casing the name', () => {
      expect(parseLocation('header:X-Event-Id')).to.deep.equal({ ok: true, location: { source: 'header', name: 'x-event-id' } });
    });

    it('parses a body dot path', () => {
      expect(parseLocation('body:data.object.id')).to.deep.equal({
        ok: true,
        location: { source: 'body', path: ['data', 'object', 'id'] },
      });
      expect(parseLocation('body:id')).to.deep.equal({ ok: true, location: { source: 'body', path: ['id'] } });
    });

    it('explains an unknown source or a missing prefix', () => {
      for (const text of ['query:id', 'data.object.id', '', 'Header:x', 'body', 'header']) {
        const parsed = parseLocation(text);
        expect(parsed.ok, text).to.equal(false);
        if (!parsed.ok) expect(parsed.error).to.match(/expected header:<name> or body:<dot\.path>|expected header:<name>|expected body/);
      }
    });

    it('refuses a header name that is not an HTTP token', () => {
      for (const text of ['header:', 'header:x id', 'header:x:y', 'header:é', 'header:x\n']) {
        const parsed = parseLocation(text);
        expect(parsed.ok, text).to.equal(false);
        if (!parsed.ok) expect(parsed.error).to.include('valid HTTP header name');
      }
    });

    it('refuses empty path segments and spaces', () => {
      for (const text of ['body:', 'body:.id', 'body:data..id', 'body:data.', 'body:da ta']) {
        const parsed = parseLocation(text);
        expect(parsed.ok, text).to.equal(false);
        if (!parsed.ok) expect(parsed.error).to.include('body:<dot.path>');
      }
    });

    it('refuses absurdly long or deep locations, quoting the input in one short line', () => {
      const deep = parseLocation(`body:${Array.from({ length: 17 }, () => 'a').join('.')}`);
      const long = parseLocation(`body:${'a'.repeat(300)}`);
      expect(deep.ok).to.equal(false);
      expect(long.ok).to.equal(false);
      if (!long.ok) {
        expect(long.error).to.include('longer than 256');
        expect(long.error.length).to.be.below(160);
        expect(long.error).to.not.include('\n');
      }
    });
  });

  describe('readBodyPath', () => {
    const body = { data: { object: { id: 'obj_1' }, items: [{ id: 'a' }, { id: 'b' }] } };

    it('walks nested objects and array indexes', () => {
      expect(readBodyPath(body, ['data', 'object', 'id'])).to.equal('obj_1');
      expect(readBodyPath(body, ['data', 'items', '1', 'id'])).to.equal('b');
    });

    it('answers undefined for missing paths, non-objects and non-index array segments', () => {
      expect(readBodyPath(body, ['data', 'nope', 'id'])).to.equal(undefined);
      expect(readBodyPath(body, ['data', 'object', 'id', 'length'])).to.equal(undefined);
      expect(readBodyPath(body, ['data', 'items', 'length'])).to.equal(undefined);
      expect(readBodyPath(body, ['data', 'items', '01'])).to.equal(undefined);
      expect(readBodyPath('text', ['length'])).to.equal(undefined);
      expect(readBodyPath(null, ['a'])).to.equal(undefined);
    });

    it('never reads inherited properties', () => {
      expect(readBodyPath({}, ['constructor'])).to.equal(undefined);
      expect(readBodyPath({}, ['__proto__'])).to.equal(undefined);
      expect(readBodyPath(JSON.parse('{"__proto__":{"id":"x"}}'), ['__proto__', 'id'])).to.equal('x');
    });
  });

  it('firstBodyField skips null and undefined but keeps other falsy values', () => {
    expect(firstBodyField({ a: null, b: 0 }, ['a', 'b'])).to.equal(0);
    expect(firstBodyField({ a: '' }, ['a', 'b'])).to.equal('');
    expect(firstBodyField({}, ['a'])).to.equal(undefined);
  });

  describe('locateEvent', () => {
    const body = { id: 'evt_body', type: 'body.type', action: 'opened', data: { object: { id: 'obj_1', kind: 'k' } } };
    const headers = {
      'x-webhook-id': 'hdr_id',
      'webhook-id': 'msg_1',
      'x-github-delivery': 'gh_1',
      'x-github-event': 'issues',
      'x-partner-event': 'partner.type',
    };

    it('uses each scheme\'s defaults without overrides', () => {
      expect(locateEvent(getScheme('hmac-sha256'), headers, body)).to.deep.equal({ id: 'evt_body', type: 'body.type' });
      expect(locateEvent(getScheme('standard-webhooks'), headers, body)).to.deep.equal({ id: 'msg_1', type: 'body.type' });
      expect(locateEvent(getScheme('stripe'), headers, body)).to.deep.equal({ id: 'evt_body', type: 'body.type' });
      expect(locateEvent(getScheme('github'), headers, body)).to.deep.equal({ id: 'gh_1', type: 'issues.opened' });
    });

    it('reads an overridden id from a body path and type from a header', () => {
      const located = locateEvent(getScheme('stripe'), headers, body, {
        idFrom: 'body:data.object.id',
        typeFrom: 'header:X-Partner-Event',
      });
      expect(located).to.deep.equal({ id: 'obj_1', type: 'partner.type' });
    });

    it('overrides one field and keeps the scheme default for the other', () => {
      expect(locateEvent(getScheme('github'), headers, body, { idFrom: 'body:id' })).to.deep.equal({
        id: 'evt_body',
        type: 'issues.opened',
      });
      expect(locateEvent(getScheme('github'), headers, body, { typeFrom: 'body:data.object.kind' })).to.deep.equal({
        id: 'gh_1',
        type: 'k',
      });
    });

    it('answers undefined where an override points at nothing, without falling back', () => {
      expect(locateEvent(getScheme('hmac-sha256'), headers, body, { idFrom: 'header:x-missing' }).id).to.equal(undefined);
      expect(locateEvent(getScheme('hmac-sha256'), headers, body, { idFrom: 'body:nope' }).id).to.equal(undefined);
    });

    it('throws a ConfigError for a malformed override', () => {
      expect(() => locateEvent(getScheme('stripe'), headers, body, { idFrom: 'data.id' })).to.throw(ConfigError, /idFrom/);
    });
  });
});
