import { DEFAULT_DATABASE_URL, displayUrl, openDatabase } from '../plugin/store/connect.js';
import { createSecretBox, parseSecretKey } from '../plugin/secrets/secret-box.js';
import { defaultLogger } from '../plugin/observe/logger.js';
import { knownSignatureHeaders } from '../plugin/providers/partner-scheme.js';
import { demoAdminToken } from './demo/demo-admin.js';
import { ADMIN_PAGE_PATH, startDemoHost } from './demo/demo-host.js';
import { ensureDemoPartner, signedCurl } from './demo/demo-partner.js';

/**
 * `npm start`: the demo CRM with the plugin mounted, on SQLite under ./data by default or on
 * DATABASE_URL. Prints the URL and a signed curl command that works as printed.
 */

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const logger = defaultLogger(knownSignatureHeaders());
  const knex = openDatabase(databaseUrl);
  const keyText = process.env.WEBHOOKS_SECRET_KEY;
  const secretBox = keyText ? createSecretBox(parseSecretKey(keyText)) : null;
  const adminToken = demoAdminToken(process.env.DEMO_ADMIN_TOKEN);
  const host = await startDemoHost({
    knex,
    adminToken,
    port: Number(process.env.PORT || 3000),
    host: process.env.HOST || '127.0.0.1',
    ...(process.env.NOTIFY_URL ? { notifyUrl: process.env.NOTIFY_URL } : {}),
    plugin: {
      logger,
      onAlert: (alert) => logger.warn({ alert }, `alert ${alert.name} ${alert.state}: ${alert.message}`),
    },
  });
  const secret = await ensureDemoPartner(host.plugin, { knex, secretBox, logger });

  console.log(`
crm-webhooks demo CRM listening on ${host.origin}  (database: ${displayUrl(databaseUrl)})
Webhooks endpoint: ${host.origin}/plugins/webhooks/<partner>   health: ${host.origin}/plugins/webhooks/_health

Send a signed test event to the demo partner (202 the first time, 200 duplicate after):

  ${signedCurl(host.origin, secret)}

Then see the CRM row it changed:

  curl ${host.origin}/crm/contacts

Admin page (partners, events, replay, live figures); this link signs you in for this run:

  ${host.origin}/crm/login?token=${adminToken}

  (then ${host.origin}${ADMIN_PAGE_PATH}; scripts: -H 'Authorization: Bearer ${adminToken}')
Contact updates are applied in data.updated_at order per data.email. This one is an hour older than
the first: it is accepted (202) but skipped as stale, and the contact keeps its newer name:

  ${signedCurl(host.origin, secret, { name: 'Ada Byron (old)', updatedAt: new Date(Date.now() - 3_600_000) })}
`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await host.close();
    await knex.destroy();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`crm-webhooks demo: ${(error as Error).message ?? String(error)}`);
  process.exit(1);
});
