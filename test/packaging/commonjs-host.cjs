'use strict';
// A CommonJS host, as many CRMs still are: it require()s the package by its name and serves it
// with plain http. Run by package.test.ts; prints one JSON line with what it saw.
const { createHmac } = require('node:crypto');
const { createServer } = require('node:http');
const knexFactory = require('knex');
const { createWebhooksPlugin } = require('crm-webhooks');

async function main() {
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  const webhooks = createWebhooksPlugin({ knex, logger: console });
  await webhooks.migrate();
  const handled = new Promise((resolve) => webhooks.on('contact.updated', async (event) => resolve(event.payload.data.email)));
  const { secret } = await webhooks.partners.add({ slug: 'acme' });
  await webhooks.start();
  const server = createServer(webhooks.nodeHandler({ mountPath: '/plugins/webhooks' })).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const body = JSON.stringify({ id: 'evt_cjs', type: 'contact.updated', data: { email: 'ada@example.com' } });
  const response = await fetch(`http://127.0.0.1:${server.address().port}/plugins/webhooks/acme`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-webhook-signature': createHmac('sha256', secret).update(body).digest('hex') },
  });
  const answer = await response.json();
  const email = await handled;
  await webhooks.stop();
  server.close();
  await knex.destroy();
  process.stdout.write(`${JSON.stringify({ status: response.status, answer, email })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
