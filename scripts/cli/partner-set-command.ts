import { InvalidArgumentError, type Command } from 'commander';
import { createPartnerAdmin } from '../../plugin/partners/partner-admin.js';
import { collect, collectCidr, location, positiveNumber, publicUrl, wholeNumber } from './arguments.js';
import { leafCommand, type CommandContext } from './context.js';
import { usageError } from './failure.js';
import { formatSettings } from './partner-format.js';

interface SetOptions {
  json?: boolean;
  tolerance?: number;
  contentType?: string[];
  idFrom?: string;
  typeFrom?: string;
  rate?: number;
  burst?: number;
  allowIp?: string[];
  dedupeBodyHash?: boolean;
  publicUrl?: string;
  orderKeyFrom?: string;
  versionFrom?: string;
  onDead?: string;
  unset?: string[];
}

/** `--unset` names, as the flags spell them, mapped to the stored settings keys. */
const UNSETTABLE: Readonly<Record<string, string>> = Object.freeze({
  tolerance: 'toleranceSeconds',
  'content-type': 'contentTypes',
  'id-from': 'idFrom',
  'type-from': 'typeFrom',
  rate: 'rateLimit',
  'allow-ip': 'allowIps',
  'dedupe-body-hash': 'dedupeBodyHash',
  'public-url': 'publicUrl',
  'order-key-from': 'orderKeyFrom',
  'version-from': 'versionFrom',
  'on-dead': 'onDead',
});

/** The plural names of earlier versions, still understood so scripts keep working. */
const UNSET_ALIASES: Readonly<Record<string, string>> = Object.freeze({ 'content-types': 'content-type', 'allow-ips': 'allow-ip' });

/** `on` / `off`, as the flag takes it. */
function onOff(value: string): boolean {
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new InvalidArgumentError('expected on or off');
}

const SET_HELP = `
Lists given here (--content-type, --allow-ip) replace the stored list. Locations are header:<name>
or body:<dot.path>, e.g. --id-from body:data.object.id. Changes reach running hosts within a second.
Examples:
  crm-webhooks partner set acme --tolerance 600 --rate 20 --burst 40
  crm-webhooks partner set acme --allow-ip 203.0.113.0/24 --allow-ip 2001:db8::/32
  crm-webhooks partner set acme --unset rate --unset allow-ip
  crm-webhooks partner set acme --dedupe-body-hash off   # a sender that repeats identical bodies as new events
  crm-webhooks partner set acme --order-key-from body:data.email --version-from body:data.updated_at --on-dead block`;

/** Builds the patch for partner-admin's updateSettings: null removes a setting. */
function patchFrom(options: SetOptions): Record<string, unknown> {
  if ((options.rate === undefined) !== (options.burst === undefined)) throw usageError('--rate and --burst go together');
  if (options.onDead !== undefined && options.onDead !== 'continue' && options.onDead !== 'block') throw usageError('--on-dead takes continue or block');
  const patch: Record<string, unknown> = {
    toleranceSeconds: options.tolerance,
    contentTypes: options.contentType,
    idFrom: options.idFrom,
    typeFrom: options.typeFrom,
    rateLimit: options.rate === undefined ? undefined : { perSecond: options.rate, burst: options.burst },
    allowIps: options.allowIp,
    dedupeBodyHash: options.dedupeBodyHash,
    publicUrl: options.publicUrl,
    orderKeyFrom: options.orderKeyFrom,
    versionFrom: options.versionFrom,
    onDead: options.onDead,
  };
  for (const name of options.unset ?? []) {
    const key = UNSETTABLE[UNSET_ALIASES[name] ?? name];
    if (!key) throw usageError(`--unset ${name}: expected one of ${Object.keys(UNSETTABLE).join(', ')}`);
    if (patch[key] !== undefined) throw usageError(`--unset ${name} conflicts with a value given for it`);
    patch[key] = null;
  }
  const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  if (Object.keys(changes).length === 0) throw usageError('nothing to change: give at least one setting (see crm-webhooks partner set --help)');
  return changes;
}

export function registerSetCommand(partner: Command, ctx: CommandContext): void {
  leafCommand(partner, 'set <slug>', 'change a partner\'s settings (tolerance, content types, id/type location, rate limit, IP allowlist, ordering)')
    .option('--tolerance <seconds>', 'how far signed timestamps may be from now', wholeNumber(1, 7 * 24 * 3600))
    .option('--content-type <type>', 'also accept this content type (repeatable)', collect)
    .option('--id-from <location>', 'where the event id is: header:<name> or body:<dot.path>', location)
    .option('--type-from <location>', 'where the event type is: header:<name> or body:<dot.path>', location)
    .option('--rate <per-second>', 'requests per second allowed (with --burst)', positiveNumber)
    .option('--burst <n>', 'requests allowed at once above the rate (with --rate)', wholeNumber(1, 1_000_000))
    .option('--allow-ip <cidr>', 'accept requests only from these addresses or CIDRs (repeatable)', collectCidr)
    .option('--dedupe-body-hash <on|off>', 'hmac-sha256 and github: treat a byte-identical body under a new id as a duplicate (default on)', onOff)
    .option('--public-url <url>', 'the URL the provider calls, as it sees it (signed by twilio, square, hubspot)', publicUrl)
    .option('--order-key-from <location>', 'order this partner\'s events per record: where the record\'s key is (with --version-from)', location)
    .option('--version-from <location>', 'where the record\'s version is: a number, numeric string or ISO 8601 time', location)
    .option('--on-dead <policy>', 'when an ordered event ends dead: continue (its key\'s later events run) or block (they wait for a replay)')
    .option('--unset <setting>', `remove a setting: ${Object.keys(UNSETTABLE).join(', ')} (repeatable)`, collect)
    .addHelpText('after', SET_HELP)
    .action(async (slug: string, options: SetOptions) => {
      const patch = patchFrom(options);
      const view = await ctx.withDatabase((db) => createPartnerAdmin({ ...db, secretBox: null, clock: ctx.clock }).updateSettings(slug, patch));
      ctx.output(options).result(view, (p) => `Settings of ${p.slug}: ${formatSettings(p.settings)}.`);
    });
}
