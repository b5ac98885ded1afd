import type { WebhooksPlugin } from '../../plugin/index.js';
import { getScheme } from '../../plugin/signatures/index.js';
import type { BuiltInSchemeName as SchemeName } from '../../plugin/signatures/index.js';
import type { CorpusPartner } from './signing.js';

const SLUGS: Readonly<Record<SchemeName, string>> = {
  'hmac-sha256': 'h-hmac',
  'standard-webhooks': 'h-sw',
  stripe: 'h-stripe',
  github: 'h-github',
};

export interface CorpusPartners {
  partners: Record<SchemeName, CorpusPartner>;
  disabled: CorpusPartner;
}

/** One partner per scheme with a freshly generated secret, and a disabled one. */
export async function addCorpusPartners(plugin: WebhooksPlugin): Promise<CorpusPartners> {
  const partners = {} as Record<SchemeName, CorpusPartner>;
  for (const [scheme, slug] of Object.entries(SLUGS) as Array<[SchemeName, string]>) {
    const { secret } = await plugin.partners.add({ slug, scheme, secret: getScheme(scheme).generateSecret() });
    partners[scheme] = { slug, scheme, secret };
  }
  const { secret } = await plugin.partners.add({ slug: 'h-off', scheme: 'hmac-sha256' });
  await plugin.partners.setEnabled('h-off', false);
  return { partners, disabled: { slug: 'h-off', scheme: 'hmac-sha256', secret } };
}
