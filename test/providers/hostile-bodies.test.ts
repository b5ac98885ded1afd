import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { decodeForm, decodeXml } from '../../plugin/bodies/decode-body.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { post } from '../helpers/requests.js';

const SECRET = 'hostile-bodies-secret-0123456789';
const sign = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex');

/**
 * Form and XML bodies are decoded only after verification, but a partner's own (or a leaked)
 * secret can sign anything: XXE, entity bombs and huge forms must end in 400 or 413, never a 5xx.
 */
describeEachDatabase('hostile form and XML bodies', (db) => {
  let host: TestHost;
  const send = (slug: string, body: string, contentType: string) =>
    post(host.url(slug), { body, headers: { 'content-type': contentType, 'x-sig': sign(body) } });

  before(async () => {
    host = await startTestHost(db().knex);
    const spec = (body: 'form' | 'xml', id: string) => ({ body, signature: { from: 'header:x-sig' }, algorithm: 'hmac-sha256', encoding: 'hex', content: ['body'], id: [id] });
    await host.plugin.partners.add({ slug: 'h-form', scheme: 'custom', secret: SECRET, settings: { signatureSpec: spec('form', 'body:id') } });
    await host.plugin.partners.add({ slug: 'h-xml', scheme: 'custom', secret: SECRET, settings: { signatureSpec: spec('xml', 'body:event.id') } });
    const batch = { signature: { from: 'header:x-sig' }, algorithm: 'hmac-sha256', encoding: 'hex', content: ['body'], batch: { from: 'body', id: ['id'], type: ['type'] } };
    await host.plugin.partners.add({ slug: 'h-batch', scheme: 'custom', secret: SECRET, settings: { signatureSpec: batch } });
  });
  after(async () => {
    await host?.close();
  });

  it('accepts a signed form, with repeated keys as arrays, and a signed XML body', async () => {
    expect((await send('h-form', 'id=f1&tag=a&tag=b', 'application/x-www-form-urlencoded')).body).to.deep.equal({ status: 'accepted', id: 'f1' });
    const row = await db().knex('webhook_outbox').where({ partner: 'h-form', event_id: 'f1' }).first();
    expect(row.payload).to.equal('id=f1&tag=a&tag=b');
    expect((await send('h-xml', '<event><id>x1</id><n>1</n></event>', 'text/xml')).body).to.deep.equal({ status: 'accepted', id: 'x1' });
    const form = decodeForm('id=f1&tag=a&tag=b&payload=%7B%22type%22%3A%22block_actions%22%7D&__proto__=x', { maxJsonDepth: 64, jsonFields: ['payload'] });
    expect({ ...form }).to.deep.equal({ id: 'f1', tag: ['a', 'b'], payload: { type: 'block_actions' }, ['__proto__']: 'x' });
  });

  it('decodes XML entities and character references once, and leaves CDATA as written', async () => {
    const body = '<event><id>x&amp;2</id><name a="&lt;b&#65;">Ada &amp;#65; &#x42;</name><note><![CDATA[x &amp; y]]></note></event>';
    expect((await send('h-xml', body, 'application/xml')).body).to.deep.equal({ status: 'accepted', id: 'x&2' });
    const got = decodeXml(body) as { event: { name: Record<string, string>; note: string } };
    expect(got.event.name).to.deep.equal({ '#text': 'Ada &#65; B', '@_a': '<bA' });
    expect(got.event.note).to.equal('x &amp; y');
  });

  it('refuses XXE with 400 and never reads the file', async () => {
    const body = '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><event><id>&xxe;</id></event>';
    const response = await send('h-xml', body, 'application/xml');
    expect(response.status).to.equal(400);
    expect(JSON.stringify(response.body)).to.not.include('root:');
  });

  it('refuses an entity bomb with 400', async () => {
    const lol = Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('');
    const body = `<?xml version="1.0"?><!DOCTYPE b [<!ENTITY l0 "lol">${lol}]><event><id>&l9;</id></event>`;
    expect((await send('h-xml', body, 'text/xml')).status).to.equal(400);
  });

  it('refuses malformed and 10,000-deep XML with 400', async () => {
    expect((await send('h-xml', '<event><id>x2</id>', 'text/xml')).status).to.equal(400);
    expect((await send('h-xml', `${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`, 'text/xml')).status).to.equal(400);
  });

  it('refuses a 100,000-field form with 400, and a form over the body limit with 413', async () => {
    const many = Array.from({ length: 100_000 }, (_, i) => `f${i}=1`).join('&');
    const response = await send('h-form', `id=f2&${many}`, 'application/x-www-form-urlencoded');
    expect(response.status).to.equal(400);
    expect(response.body.error).to.equal('invalid_body');
    const huge = `id=f3&pad=${'a'.repeat(1024 * 1024)}`;
    expect((await send('h-form', huge, 'application/x-www-form-urlencoded')).status).to.equal(413);
  });

  describe('batched bodies', () => {
    const sendBatch = (body: string) => send('h-batch', body, 'application/json');
    const stored = async () => (await db().knex('webhook_outbox').where({ partner: 'h-batch' })).length;

    it('refuses an empty array with 400 invalid_batch', async () => {
      const response = await sendBatch('[]');
      expect(response.status).to.equal(400);
      expect(response.body.error).to.equal('invalid_batch');
    });

    it('refuses a 100,000-item array with 400 batch_too_large, and 1,001 items too, storing nothing', async () => {
      // Counted before any item is read: empty objects keep the body under the 1 MiB limit.
      const huge = await sendBatch(JSON.stringify(Array.from({ length: 100_000 }, () => ({}))));
      expect(huge.status).to.equal(400);
      expect(huge.body.error).to.equal('batch_too_large');
      const justOver = await sendBatch(JSON.stringify(Array.from({ length: 1001 }, (_, i) => ({ id: `e${i}` }))));
      expect(justOver.body.error).to.equal('batch_too_large');
      expect(await stored()).to.equal(0);
    });

    it('refuses nested arrays and items that are not objects with 400', async () => {
      for (const body of ['[[{"id":"n1"}]]', '[{"id":"n2"},["x"]]', '[1,2,3]', '["a"]', '[null]', '[{"id":"n3"},true]']) {
        const response = await sendBatch(body);
        expect(response.status, body).to.equal(400);
        expect(response.body.error, body).to.equal('invalid_batch');
      }
      expect(await stored()).to.equal(0);
    });

    it('refuses an item whose id is an object, too long or missing with 400 for the whole request', async () => {
      for (const body of ['[{"id":"ok1"},{"id":{"x":1}}]', `[{"id":"ok2"},{"id":"${'x'.repeat(200)}"}]`, '[{"id":"ok3"},{"type":"t"}]', '[{"id":"ok4","type":{"x":1}}]']) {
        const response = await sendBatch(body);
        expect(response.status, body).to.equal(400);
        expect(response.body.error, body).to.match(/^(?:missing_event_id|invalid_event_id|invalid_event_type)$/);
      }
      expect(await stored()).to.equal(0);
    });

    it('treats a body that is not an array as one event located by the spec (here: none, so 400)', async () => {
      const response = await sendBatch('{"id":"single"}');
      expect(response.status).to.equal(400);
      expect(response.body.error).to.equal('missing_event_id');
    });
  });

  it('refuses a form or XML body to a JSON partner with 415, and invalid UTF-8 with 400', async () => {
    await host.plugin.partners.add({ slug: 'h-json', secret: SECRET });
    expect((await post(host.url('h-json'), { body: 'id=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).to.equal(415);
    const response = await fetch(host.url('h-form'), { method: 'POST', body: Buffer.from([0x69, 0x64, 0x3d, 0xff]), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-sig': createHmac('sha256', SECRET).update(Buffer.from([0x69, 0x64, 0x3d, 0xff])).digest('hex') } });
    expect(response.status).to.equal(400);
  });
});
