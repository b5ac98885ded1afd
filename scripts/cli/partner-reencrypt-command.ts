import type { Command } from 'commander';
import { createPartnerAdmin } from '../../plugin/partners/partner-admin.js';
import { SecretKeyError } from '../../plugin/errors.js';
import { leafCommand, type CommandContext } from './context.js';
import { CliFailure } from './failure.js';
import { plural } from './output.js';
import { keyFromSpec } from './secret-input.js';

const REENCRYPT_HELP = `
Keys are "none" (secrets stored as plain text), "env:NAME" (read from that environment variable,
which keeps the key out of shell history), or the key itself (64 hex characters or base64).
Each partner is re-encrypted in its own transaction; secrets already under the new key are left as
they are, so an interrupted run can simply be repeated. Afterwards set WEBHOOKS_SECRET_KEY to the new
key in every process that uses this database.
Example:
  OLD=... NEW=... crm-webhooks partner reencrypt --from-key env:OLD --to-key env:NEW`;

const keyName = (box: { kid: string } | null) => (box ? `key ${box.kid}` : 'no key (plain text)');

/**
 * The service's message speaks of "the configured key" (WEBHOOKS_SECRET_KEY); here the key that
 * failed is --from-key, so say that, keeping the partner's name and the key id the secret is under.
 */
function wrongKeyMessage(error: SecretKeyError, from: { kid: string } | null): string {
  const partner = /partner "([^"]+)"/.exec(error.message)?.[1];
  const sealedWith = /encrypted with key ([0-9a-f]+)/.exec(error.message)?.[1];
  if (!partner) return `cannot re-encrypt: ${error.message.replace(/^crm-webhooks: /, '')}`;
  const why = sealedWith ? ` (they are under key ${sealedWith})` : from ? '' : ' (they are encrypted)';
  return (
    `cannot re-encrypt: the secrets of partner "${partner}" do not open with --from-key ${from ? from.kid : 'none'}${why}; ` +
    'partners before it in slug order are already re-encrypted, so run again with the right key'
  );
}

export function registerReencryptCommand(partner: Command, ctx: CommandContext): void {
  leafCommand(partner, 'reencrypt', 're-encrypt every stored secret from one key to another (key rotation)')
    .requiredOption('--from-key <key>', 'the key the secrets are stored under now: <key>, env:NAME or none')
    .requiredOption('--to-key <key>', 'the key to store them under: <key>, env:NAME or none')
    .addHelpText('after', REENCRYPT_HELP)
    .action(async (options: { json?: boolean; fromKey: string; toKey: string }) => {
      const from = keyFromSpec(options.fromKey, '--from-key', ctx.io.env);
      const to = keyFromSpec(options.toKey, '--to-key', ctx.io.env);
      const counts = await ctx.withDatabase(async (db) => {
        try {
          return await createPartnerAdmin({ ...db, secretBox: to, clock: ctx.clock }).reencrypt(from, to);
        } catch (error) {
          // The message names the partner; earlier partners are already done, which repeating the run keeps.
          if (error instanceof SecretKeyError) throw new CliFailure(wrongKeyMessage(error, from), 1, { cause: error });
          throw error;
        }
      });
      const output = ctx.output(options);
      output.result({ ...counts, fromKey: from?.kid ?? null, toKey: to?.kid ?? null }, (c) =>
        `Re-encrypted ${plural(c.secrets, 'secret')} of ${plural(c.partners, 'partner')} from ${keyName(from)} to ${keyName(to)}.`,
      );
      output.note(`crm-webhooks: now set WEBHOOKS_SECRET_KEY ${to ? `to the key with id ${to.kid}` : 'to nothing (unset it)'} in every process using this database`);
    });
}
