import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { createSecretBox, parseSecretKey, type SecretBox } from '../../plugin/secrets/secret-box.js';
import { ConfigError } from '../../plugin/errors.js';
import { CliFailure, usageError } from './failure.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The secret for `partner add` and `partner rotate`: --secret (visible in shell history and `ps`),
 * --secret-stdin (piped, or typed at a prompt), or neither (the scheme generates one).
 */
export async function readSecretOption(
  options: { secret?: string; secretStdin?: boolean },
  io: { stdin: Readable & { isTTY?: boolean }; stderr: Writable },
): Promise<string | undefined> {
  if (options.secret !== undefined && options.secretStdin) throw usageError('give either --secret or --secret-stdin, not both');
  if (!options.secretStdin) return options.secret;
  const secret = (io.stdin.isTTY ? await promptLine(io.stdin, io.stderr) : await readAll(io.stdin)).trim();
  if (!secret) throw usageError('--secret-stdin: no secret on standard input');
  return secret;
}

async function readAll(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(parts).toString('utf8');
}

async function promptLine(stdin: Readable, stderr: Writable): Promise<string> {
  const rl = createInterface({ input: stdin, output: stderr, terminal: false });
  try {
    return await rl.question('Secret: ');
  } finally {
    rl.close();
  }
}

/** The key that seals new secrets: WEBHOOKS_SECRET_KEY, or none (stored as plain, as the plugin does). */
export function secretBoxFromEnv(env: Env): SecretBox | null {
  const text = env.WEBHOOKS_SECRET_KEY;
  if (!text) return null;
  return boxOrFailure(text, 'WEBHOOKS_SECRET_KEY', 1);
}

/**
 * `--from-key`/`--to-key` of `partner reencrypt`: `none` (secrets stored plain), `env:NAME` (read the
 * key from that variable, keeping it out of shell history), or the key itself.
 */
export function keyFromSpec(spec: string, flag: string, env: Env): SecretBox | null {
  if (spec === 'none') return null;
  if (spec.startsWith('env:')) {
    const name = spec.slice(4);
    const text = env[name];
    if (!text) throw usageError(`${flag} env:${name}: the environment variable ${name} is not set`);
    return boxOrFailure(text, `${flag} env:${name}`, 2);
  }
  return boxOrFailure(spec, flag, 2);
}

function boxOrFailure(text: string, source: string, exitCode: number): SecretBox {
  try {
    return createSecretBox(parseSecretKey(text, source));
  } catch (error) {
    if (error instanceof ConfigError) throw new CliFailure(error.message, exitCode);
    throw error;
  }
}
