import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { createPartnerAdmin, type PartnerAdmin } from '../../plugin/partners/partner-admin.js';
import type { SecretBox } from '../../plugin/secrets/secret-box.js';
import { PRESET_NAMES } from '../../plugin/providers/presets.js';
import { DEFAULT_SCHEME, SCHEME_NAMES } from '../../plugin/signatures/index.js';
import { collectSetting, publicUrl, wholeNumber } from './arguments.js';
import { usageError } from './failure.js';
import { leafCommand, type CommandContext } from './context.js';
import { plural } from './output.js';
import { formatNewSecret, formatPartner, formatPartnerList } from './partner-format.js';
import { registerReencryptCommand } from './partner-reencrypt-command.js';
import { registerSetCommand } from './partner-set-command.js';
import { readSecretOption, secretBoxFromEnv } from './secret-input.js';
import { checkKeyAgainstStored } from './secret-key-check.js';

interface JsonOption {
  json?: boolean;
}
interface SecretOptions extends JsonOption {
  secret?: string;
  secretStdin?: boolean;
}
interface AddOptions extends SecretOptions {
  scheme?: string;
  preset?: string;
  specFile?: string;
  setting?: Record<string, string>;
  publicUrl?: string;
  tolerance?: number;
}

/** The spec file's JSON, or a one-line reason; its content is validated by partner-admin like any setting. */
function readSpecFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw usageError(`--spec-file ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw usageError(`--spec-file ${path}: not valid JSON`);
  }
}

function addSettings(options: AddOptions): Record<string, unknown> {
  if (options.specFile !== undefined && options.preset !== undefined) throw usageError('--spec-file and --preset exclude each other');
  if (options.specFile !== undefined && options.scheme !== 'custom') throw usageError('--spec-file needs --scheme custom');
  if (options.scheme === 'custom' && options.specFile === undefined && options.preset === undefined) throw usageError('--scheme custom needs --spec-file (or use --preset)');
  return {
    ...(options.tolerance === undefined ? {} : { toleranceSeconds: options.tolerance }),
    ...(options.specFile === undefined ? {} : { signatureSpec: readSpecFile(options.specFile) }),
    ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    ...(options.setting === undefined ? {} : { presetSettings: options.setting }),
  };
}

const SECRET_HELP = `
Secrets given with --secret end up in shell history and are visible to other users in the process
list; prefer --secret-stdin (e.g. \`pass show acme | crm-webhooks partner add acme --secret-stdin\`).
With WEBHOOKS_SECRET_KEY set (32 bytes as 64 hex characters or base64), the secret is stored
encrypted with AES-256-GCM; without it, it is stored as plain text.`;

const addSecretOptions = (command: Command) =>
  command
    .option('--secret <secret>', 'use this secret instead of generating one (visible in shell history)')
    .option('--secret-stdin', 'read the secret from standard input (keeps it out of shell history)')
    .addHelpText('after', SECRET_HELP);

/** `partner ...`: thin wrappers over plugin/partners/partner-admin.ts, which does the validation and sealing. */
export function registerPartnerCommands(program: Command, ctx: CommandContext): Command {
  const partner = program.command('partner').description('manage the partners allowed to send webhooks');

  /** Secrets are sealed only when adding or rotating; other commands never need the key. */
  const withAdmin = <T>(secretBox: SecretBox | null, work: (admin: PartnerAdmin) => Promise<T>) =>
    ctx.withDatabase((db) => work(createPartnerAdmin({ ...db, secretBox, clock: ctx.clock })));
  /** Adding or rotating seals a secret: only with the key the stored secrets (and so the host) use. */
  const withSealingAdmin = <T>(secretBox: SecretBox | null, work: (admin: PartnerAdmin) => Promise<T>) =>
    ctx.withDatabase(async (db) => {
      const warning = await checkKeyAgainstStored(db, secretBox);
      const result = await work(createPartnerAdmin({ ...db, secretBox, clock: ctx.clock }));
      // After the work: a failure stays the one line on stderr that CONTRACT.md promises.
      if (warning) ctx.io.stderr.write(`${warning}\n`);
      return result;
    });
  const warnAll = (warnings: readonly string[]) => {
    for (const warning of warnings) ctx.io.stderr.write(`crm-webhooks: warning: ${warning}\n`);
  };
  // On stderr even with --json: a script storing secrets unencrypted by mistake should still be told.
  const warnIfPlain = (box: SecretBox | null) => {
    if (!box) ctx.io.stderr.write('crm-webhooks: warning: WEBHOOKS_SECRET_KEY is not set, so the secret is stored unencrypted\n');
  };

  addSecretOptions(
    leafCommand(partner, 'add <slug>', 'add a partner; prints its secret once (generated unless given)')
      .addOption(new Option('--scheme <scheme>', `signature scheme (default ${DEFAULT_SCHEME})`).choices(SCHEME_NAMES))
      .addOption(new Option('--preset <name>', 'a provider preset (see: crm-webhooks presets)').choices(PRESET_NAMES))
      .option('--spec-file <path>', 'with --scheme custom: a JSON signature spec (see the README)')
      .option('--setting <name=value>', 'a value the preset needs, e.g. organizationId=… (repeatable)', collectSetting)
      .option('--public-url <url>', 'the URL the provider calls, for presets that sign it (twilio, square, hubspot)', publicUrl)
      .option('--tolerance <seconds>', 'how far signed timestamps may be from now (default: the host\'s, 300)', wholeNumber(1, 7 * 24 * 3600)),
  ).action(async (slug: string, options: AddOptions) => {
    const settings = addSettings(options);
    const secret = await readSecretOption(options, ctx.io);
    const box = secretBoxFromEnv(ctx.io.env);
    const input = {
      slug,
      ...(options.scheme === undefined ? {} : { scheme: options.scheme }),
      ...(options.preset === undefined ? {} : { preset: options.preset }),
      ...(secret === undefined ? {} : { secret }),
      settings,
    };
    const added = await withSealingAdmin(box, (admin) => admin.add(input));
    warnAll(added.warnings);
    const label = added.partner.settings.preset ?? added.partner.scheme;
    ctx.output(options).result(added, (a) => formatNewSecret(`Added partner ${a.partner.slug} (${label}), enabled.`, a.partner, a.secret));
    warnIfPlain(box);
  });

  leafCommand(partner, 'list', 'list partners (never their secrets)').action(async (options: JsonOption) => {
    const partners = await withAdmin(null, (admin) => admin.list());
    ctx.output(options).result(partners, formatPartnerList);
  });

  leafCommand(partner, 'show <slug>', 'show one partner (never its secrets)').action(async (slug: string, options: JsonOption) => {
    ctx.output(options).result(await withAdmin(null, (admin) => admin.show(slug)), formatPartner);
  });

  for (const [name, enabled] of [['disable', false], ['enable', true]] as const) {
    const what = enabled ? 'accept its requests again' : 'refuse its requests with 403 (within a second on running hosts)';
    leafCommand(partner, `${name} <slug>`, `${name} a partner: ${what}`).action(async (slug: string, options: JsonOption) => {
      const view = await withAdmin(null, (admin) => admin.setEnabled(slug, enabled));
      ctx.output(options).result(view, (p) => `Partner ${p.slug} is now ${enabled ? 'enabled' : 'disabled: its requests are refused with 403'}.`);
    });
  }

  addSecretOptions(
    leafCommand(partner, 'rotate <slug>', 'add a new secret in front of the old ones, which keep verifying until retired'),
  ).action(async (slug: string, options: SecretOptions) => {
    const secret = await readSecretOption(options, ctx.io);
    const box = secretBoxFromEnv(ctx.io.env);
    const rotated = await withSealingAdmin(box, (admin) => admin.rotate(slug, secret));
    warnAll(rotated.warnings);
    ctx.output(options).result(rotated, (r) =>
      formatNewSecret(
        `Added a new secret to ${r.partner.slug}; it has ${plural(r.partner.secrets.length, 'active secret')}. ` +
          `Once the partner signs with the new one, run: crm-webhooks partner retire-secrets ${r.partner.slug}`,
        r.partner,
        r.secret,
      ),
    );
    warnIfPlain(box);
  });

  leafCommand(partner, 'retire-secrets <slug>', 'keep only the newest secret').action(async (slug: string, options: JsonOption) => {
    const retired = await withAdmin(null, (admin) => admin.retireSecrets(slug));
    ctx.output(options).result(retired, (r) =>
      r.retired === 0 ? `Partner ${r.partner.slug} has only one secret: nothing to retire.` : `Retired ${plural(r.retired, 'old secret')} of ${r.partner.slug}; the newest remains.`,
    );
  });

  registerSetCommand(partner, ctx);
  registerReencryptCommand(partner, ctx);
  return partner;
}
