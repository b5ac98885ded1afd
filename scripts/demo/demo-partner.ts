import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createPartnerDirectory } from '../../plugin/partners/partner-directory.js';
import type { SecretBox } from '../../plugin/secrets/secret-box.js';
import { getScheme } from '../../plugin/signatures/index.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import type { Logger } from '../../plugin/types.js';
import type { WebhooksPlugin } from '../../plugin/index.js';

export const DEMO_PARTNER = 'demo';

/**
 * Issue 12: the demo orders contact updates per contact, so an older update that arrives late is
 * skipped instead of writing the old name back. Events without these fields run unordered.
 */
export const DEMO_ORDERING = Object.freeze({ orderKeyFrom: 'body:data.email', versionFrom: 'body:data.updated_at' });

/** Creates the demo partner on first start; afterwards reads its newest secret back to sign with. */
export async function ensureDemoPartner(
  plugin: WebhooksPlugin,
  deps: { knex: Knex; secretBox: SecretBox | null; logger: Logger },
): Promise<string> {
  try {
    const { secret } = await plugin.partners.add({ slug: DEMO_PARTNER, scheme: 'hmac-sha256', settings: DEMO_ORDERING });
    return secret;
  } catch (error) {
    if ((error as { status?: number }).status !== 409) throw error;
  }
  // A demo database from before ordering existed: give its partner the ordering once.
  if ((await plugin.partners.show(DEMO_PARTNER)).settings.orderKeyFrom === undefined) await plugin.partners.updateSettings(DEMO_PARTNER, DEMO_ORDERING);
  const directory = createPartnerDirectory({ ...deps, dialect: dialectOf(deps.knex), clock: { now: () => Date.now() }, cacheMs: 0 });
  const partner = (await directory.refresh()).get(DEMO_PARTNER);
  if (!partner?.secrets[0]) throw partner?.secretsProblem ?? new Error('the demo partner has no usable secret');
  return partner.secrets[0];
}

/** A curl line that sends one correctly signed contact.updated event (this name, as of this time) to the demo partner. */
export function signedCurl(origin: string, secret: string, change: { name: string; updatedAt: Date } = { name: 'Ada Lovelace', updatedAt: new Date() }): string {
  const id = `evt_${randomBytes(6).toString('hex')}`;
  const body = JSON.stringify({
    id,
    type: 'contact.updated',
    data: { email: 'ada@example.com', name: change.name, updated_at: change.updatedAt.toISOString() },
  });
  const headers = getScheme('hmac-sha256').sign({ secret, rawBody: body, id, timestampSeconds: Math.floor(Date.now() / 1000) });
  const headerFlags = Object.entries({ 'content-type': 'application/json', ...headers })
    .map(([name, value]) => `-H '${name}: ${value}'`)
    .join(' ');
  return `curl -sS -i -X POST ${origin}/plugins/webhooks/${DEMO_PARTNER} ${headerFlags} --data-binary '${body}'`;
}
