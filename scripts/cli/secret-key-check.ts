import { SecretKeyError } from '../../plugin/errors.js';
import type { SecretBox } from '../../plugin/secrets/secret-box.js';
import { openSecret, parseStoredSecrets } from '../../plugin/secrets/stored-secret.js';
import { listPartnerRows } from '../../plugin/store/partners.js';
import type { Database } from './database.js';
import { CliFailure } from './failure.js';

/**
 * Before sealing a new secret: does this CLI's key match the one the stored secrets were sealed
 * with, which is the key the host runs with? A CLI without the key used to store plain secrets
 * that the host accepted silently; a CLI with another key stored secrets the host answered 503 for.
 * Refuses the second case (the host could not open the new secret); returns a warning for the
 * "encrypted, but no key here" case and for plain secrets stored while this CLI has a key.
 */
export async function checkKeyAgainstStored(db: Database, box: SecretBox | null): Promise<string | null> {
  let plain = 0;
  let sealedWithoutKey: string | null = null;
  for (const row of await listPartnerRows(db.knex, db.dialect)) {
    let stored;
    try {
      stored = parseStoredSecrets(row.secrets, row.slug);
    } catch {
      continue; // a damaged row says nothing about the key; `partner show` reports it
    }
    for (const secret of stored) {
      if (typeof secret.plain === 'string') {
        plain += 1;
        continue;
      }
      if (!box) {
        sealedWithoutKey ??= row.slug;
        continue;
      }
      try {
        openSecret(box, row.slug, secret);
      } catch (error) {
        if (!(error instanceof SecretKeyError)) throw error;
        throw new CliFailure(
          `crm-webhooks: WEBHOOKS_SECRET_KEY here is not the key the stored secrets are encrypted with (partner "${row.slug}"): ` +
            'the host could not open a secret added now. Use the host\'s key, or re-encrypt first with `crm-webhooks partner reencrypt`',
          1,
          { cause: error },
        );
      }
    }
  }
  if (sealedWithoutKey) {
    return (
      `crm-webhooks: warning: the stored secrets (partner "${sealedWithoutKey}") are encrypted, but WEBHOOKS_SECRET_KEY is not set here: ` +
      'this secret is stored unencrypted and the host, which has a key, will warn about it. Use the host\'s key (set it, or pass --config with the host\'s .env)'
    );
  }
  return box && plain > 0
    ? `crm-webhooks: warning: ${plain} stored secret(s) are unencrypted although WEBHOOKS_SECRET_KEY is set here; ` +
        'encrypt them with: crm-webhooks partner reencrypt --from-key none --to-key env:WEBHOOKS_SECRET_KEY'
    : null;
}
